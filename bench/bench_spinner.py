"""Benchmark: an honest student graded alone, then beside a spinner (issue 22).

    python bench/bench_spinner.py [--rounds 3]

The honest student is tests/cohort/correct_kahn; the spinner, tests/hostile/
hostile_spinners_in_new_sessions (28 processes spinning in sessions of their own from
import). Each round grades the honest student alone, then beside the spinner, with
`python -m adkit.cohort --jobs 2`, first with the sandbox's CPU quota (what the kit does),
then without it (SANDBOX_CPUS raised to 4096 cores: what the kit did before issue 22). The
figure is the honest student's own grading time (results.json's seconds); the target is at
most twice its time alone. Rounds alternate, so that load from elsewhere on the machine
falls on both sides; medians are printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HONEST = ROOT / "tests" / "cohort" / "correct_kahn"
SPINNER = ROOT / "tests" / "hostile" / "hostile_spinners_in_new_sessions"
# The grading run, with the quota per sandbox set from the command line.
RUN = ("import sys\nfrom adkit.sandbox import cgroups\ncgroups.SANDBOX_CPUS = float(sys.argv[1])\n"
       "from adkit.cohort.__main__ import main\nsys.exit(main(sys.argv[2:]))\n")


def honest_seconds(base: Path, beside: bool, cpus: float) -> float:
    """The honest student's grading time in one run, alone or beside the spinner."""
    shutil.rmtree(base, ignore_errors=True)
    submissions = base / "submissions"
    shutil.copytree(HONEST, submissions / "honest")
    if beside:
        shutil.copytree(SPINNER, submissions / "spinner")
        shutil.copy(HONEST / "simpleautodiff.py",  # its correct code, as the tests do
                    submissions / "spinner" / "simpleautodiff" / "_correct.py")
    out = base / "out"
    run = subprocess.run([sys.executable, "-c", RUN, str(cpus), str(submissions), "--out",
                          str(out), "--jobs", "2", "--force"], cwd=ROOT, capture_output=True,
                         text=True, timeout=1800)
    data = json.loads((out / "honest" / "results.json").read_text(encoding="utf-8"))
    if data["score"] != 100:
        print(f"  (the honest student scored {data['score']}: {run.stderr[-500:]})")
    return float(data["extra_data"]["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="adkit-bench-spinner-") as folder:
        for round_ in range(args.rounds):
            for quota, cpus in (("quota", 1.0), ("no quota", 4096.0)):
                for where in ("alone", "beside"):
                    seconds = honest_seconds(Path(folder) / "run", where == "beside", cpus)
                    times.setdefault((quota, where), []).append(seconds)
                    print(f"round {round_ + 1}, {quota}, {where}: {seconds:.2f} s", flush=True)
    for quota in ("quota", "no quota"):
        alone = statistics.median(times[(quota, "alone")])
        beside = statistics.median(times[(quota, "beside")])
        verdict = "meets" if beside <= 2 * alone else "MISSES"
        print(f"{quota}: honest alone {alone:.2f} s, beside a spinner {beside:.2f} s, "
              f"x{beside / alone:.2f} ({verdict} the target of x2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
