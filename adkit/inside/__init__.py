"""Everything that runs inside the sandbox's worker, and nothing else (docs/sandbox.md).

Standard library only, and no algorithm of a graded task: the grader sends data (wirings,
orders, adjoints, rules for one scenario); these modules build the student's graphs from
it, call the student's functions, and read the answers back. The handler and `SUPPORT` are
staged into the worker's grader folder side by side; the entry imports that folder as the
package `adkit_inside` (so the modules' relative imports hold there too, and the folder is
never on the student's sys.path).
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
HANDLER = HERE / "handler.py"
ENTRY = HERE / "entry.py"
# The handler's sibling modules, staged beside it (the entry is staged by the sandbox).
SUPPORT = tuple(HERE / f"{name}.py" for name in
                ("__init__", "state", "problems", "answers", "graphs", "building", "stand_ins"))
