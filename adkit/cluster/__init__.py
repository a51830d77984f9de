"""Grading a cohort in shards on many machines (a manifest, shards, a merge; a Slurm driver).

See docs/scaling.md."""
