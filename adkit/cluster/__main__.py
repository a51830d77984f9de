"""`python -m adkit.cluster plan|shard|merge|slurm`: grading a cohort in shards.

    plan  SUBMISSIONS --out OUT --shards K      write OUT/.cluster/manifest.json
    shard --manifest M --index I [--jobs N]     grade shard I of K (anywhere the kit is)
    merge --manifest M                          gather the shards; OUT's outputs
    slurm SUBMISSIONS --out OUT --shards K --cpus N --secret-file F
                                                plan, then submit the shards and the merge
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import tomllib
from pathlib import Path

from adkit.cluster import manifest as manifests
from adkit.cluster import slurm
from adkit.cluster.manifest import ManifestError
from adkit.cluster.merge import merge
from adkit.cluster.shard import run_shard
from adkit.cluster.trust import privacy_problem
from adkit.cohort import runner
from adkit.intake.submissions import scan_submissions
from adkit.model.rubric import (
    DEFAULT_RUBRIC,
    SECRET_FILE_VARIABLE,
    SECRET_VARIABLE,
    RubricError,
    load_rubric,
)

EXIT_USAGE = 2


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m adkit.cluster",
                                     description="Grade a cohort in shards, then merge.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("plan", "slurm"):
        sub = commands.add_parser(name, help="write the manifest" if name == "plan" else
                                  "plan, then submit an array of shards and a merge to Slurm")
        sub.add_argument("submissions", type=Path)
        sub.add_argument("--out", type=Path, required=True)
        sub.add_argument("--shards", type=int, required=True, help="number of shards K")
        sub.add_argument("--trusted", action="store_true",
                         help="grade without isolation where none runs (code you trust)")
        sub.add_argument("--secret-file", type=Path,
                         help=f"the course secret, in a file of mode 0600 (or "
                              f"{SECRET_FILE_VARIABLE})")
        sub.add_argument("--rubric", type=Path, default=DEFAULT_RUBRIC, help=argparse.SUPPRESS)
    submit = commands.choices["slurm"]
    submit.add_argument("--cpus", type=int, required=True,
                        help="cores per shard (its students graded at once)")
    submit.add_argument("--time", type=int, help="each shard's time limit, in minutes")
    submit.add_argument("--partition", help="the Slurm partition (default: the cluster's)")
    shard = commands.add_parser("shard", help="grade one shard")
    shard.add_argument("--manifest", type=Path, required=True)
    shard.add_argument("--index", type=int, required=True, help="0 to K-1")
    shard.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    gather = commands.add_parser("merge", help="gather the shards into OUT")
    gather.add_argument("--manifest", type=Path, required=True)
    return parser.parse_args(argv)


def _fail(message: str) -> int:
    print(f"adkit.cluster: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _secret_file(args: argparse.Namespace) -> Path | None:
    """The secret file named on the command line, in the environment or in the rubric."""
    if args.secret_file is not None:
        return args.secret_file.resolve()
    if os.environ.get(SECRET_FILE_VARIABLE):
        return Path(os.environ[SECRET_FILE_VARIABLE]).resolve()
    try:
        named = tomllib.loads(args.rubric.read_text(encoding="utf-8")).get("secret_file")
    except (OSError, ValueError):
        return None  # load_rubric says what is wrong
    return (args.rubric.parent / named).resolve() if isinstance(named, str) and named else None


def _plan(args: argparse.Namespace, private: bool, again: str) -> manifests.Manifest | str:
    """Scan the cohort and write its manifest; the manifest, or what is wrong."""
    if args.shards < 1:
        return "--shards must be at least 1"
    if not args.submissions.exists():
        return f"submissions {args.submissions} does not exist"
    secret_file = _secret_file(args)
    if secret_file is not None:
        os.environ[SECRET_FILE_VARIABLE] = str(secret_file)  # load_rubric reads it there
    try:
        rubric = load_rubric(args.rubric)
    except RubricError as error:
        return str(error)
    if private:
        problem = privacy_problem(rubric.path, secret_file)
        if problem:
            return problem
    with tempfile.TemporaryDirectory(prefix="adkit-plan-") as unpacked:
        everyone, skipped = scan_submissions(args.submissions, Path(unpacked))
        if not everyone:
            return f"no student folders or archives in {args.submissions}"
        plan = manifests.plan(everyone, skipped, args.submissions, args.out, args.shards,
                              rubric, args.trusted, secret_file, private, again)
    path = manifests.default_path(plan.out)
    manifests.write(plan, path)
    print(f"manifest: {path} ({len(plan.students)} student(s) in {plan.shards} shard(s))",
          file=sys.stderr)
    return plan


def _again(args: argparse.Namespace) -> str:
    """The command that submits this run again, from any folder."""
    words = [sys.executable, "-m", "adkit.cluster", "slurm", str(args.submissions.resolve()),
             "--out", str(args.out.resolve()), "--shards", str(args.shards), "--cpus",
             str(args.cpus), "--secret-file", str(_secret_file(args))]
    words += ["--time", str(args.time)] if args.time else []
    words += ["--partition", args.partition] if args.partition else []
    words += ["--trusted"] if args.trusted else []
    if args.rubric.resolve() != DEFAULT_RUBRIC.resolve():
        words += ["--rubric", str(args.rubric.resolve())]
    return f"cd {shlex.quote(str(runner.KIT.parent))} && {shlex.join(words)}"


def _slurm(args: argparse.Namespace) -> int:
    if args.cpus < 1:
        return _fail("--cpus must be at least 1")
    if os.environ.get(SECRET_VARIABLE):
        return _fail(f"{SECRET_VARIABLE} is set: on a cluster the course secret is read "
                     f"only from a private file (--secret-file / SECRET_FILE=, mode 0600), "
                     f"never from the environment, which job records show; unset it")
    if _secret_file(args) is None:
        return _fail("the Slurm driver reads the course secret only from a file of mode "
                     "0600: write it there and give --secret-file PATH (make: SECRET_FILE=PATH)")
    plan = _plan(args, True, _again(args))
    if isinstance(plan, str):
        return _fail(plan)
    try:
        submitted = slurm.submit(plan, manifests.default_path(plan.out), args.cpus, args.time,
                                 args.partition)
    except slurm.SlurmError as error:
        return _fail(str(error))
    print(slurm.follow_lines(plan, submitted))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parse(argv)
    if args.command == "plan":
        plan = _plan(args, False, "")
        return _fail(plan) if isinstance(plan, str) else 0
    if args.command == "slurm":
        return _slurm(args)
    try:
        manifest = manifests.load(args.manifest)
    except ManifestError as error:
        return _fail(str(error))
    if args.command == "shard":
        if args.jobs < 1:
            return _fail("--jobs must be at least 1")
        return run_shard(manifest, args.index, args.jobs)
    return merge(manifest)


if __name__ == "__main__":
    sys.exit(main())
