"""Grading a cohort: `python -m adkit.cohort SUBMISSIONS --out OUT` (see docs/grading.md).

For the teaching assistant's run: read the submissions (adkit.intake), grade each student in
a job of its own (`jobs`, `runner`: the hidden tests of graders/ with the toolkit of
adkit.grade, the student's code only in a sandbox), score the outcomes by the rubric
(`scoring`) and publish the outputs (adkit.outputs.steps).
"""
