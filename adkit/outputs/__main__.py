"""`python -m adkit.outputs OUT [--policy FILE]` (`make grades`): every output made again
from the results stored in OUT, with the course policy applied; nothing is regraded.

Exit status: 0; 1 when the course policy or the grade log was refused (the message says
where and what to write instead; the outputs are then made without the policy); 2 for a
bad command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from adkit.outputs.steps import publish


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m adkit.outputs",
        description="Make every output again from the results stored in OUT (gradebook, "
                    "feedback, report, grade log, Canvas and Moodle files), with the course "
                    "policy applied. Nothing is regraded.")
    parser.add_argument("out", type=Path, help="the folder `make grade` wrote (OUT)")
    parser.add_argument("--policy", type=Path, default=None,
                        help="the course file (default: $ADKIT_COURSE_POLICY, else "
                             "course/policy.toml when it exists)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not args.out.is_dir() or not any(args.out.glob("*/results.json")):
        print(f"adkit.outputs: no stored results in {args.out} (give the OUT folder of "
              "`make grade`)", file=sys.stderr)
        return 2
    if args.policy is not None and not args.policy.is_file():
        print(f"adkit.outputs: no course file {args.policy} (docs/policy.md shows one)",
              file=sys.stderr)
        return 2
    cohort = publish([args.out], args.out, policy_file=args.policy)
    return 1 if cohort.policy_problem else 0


if __name__ == "__main__":
    sys.exit(main())
