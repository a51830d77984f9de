"""adkit/'s folders show the flow, and no import runs back up it: a package imports only
packages of a lower floor (read from every module's imports, lazy ones inside functions
too), so no circle can cross two packages."""

from __future__ import annotations

import ast

from tests.helpers import ROOT

# From the bottom up: what the student's worker and everything else share, then the
# sandbox and the generated material, then reading submissions and writing outputs, then
# the graders' toolkit, then the cohort runner that grades with it, and last the tools
# built on the runner (clusters, the kit's own proofs).
FLOORS = [
    {"model", "inside"},
    {"sandbox", "authoring"},
    {"intake", "outputs"},
    {"grade", "similarity", "platforms"},
    {"cohort"},
    {"cluster", "proofs"},
]
FLOOR = {package: n for n, packages in enumerate(FLOORS) for package in packages}


def _imports(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("adkit.") and "." in n}
    return found


def test_every_package_has_a_floor():
    packages = {p.name for p in (ROOT / "adkit").iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(FLOOR)


def test_no_import_runs_back_up():
    wrong = []
    for path in sorted((ROOT / "adkit").rglob("*.py")):
        package = path.relative_to(ROOT / "adkit").parts[0]
        if package not in FLOOR:
            continue  # adkit/__init__.py and friends
        for other in _imports(path) - {package}:
            if other in FLOOR and FLOOR[other] >= FLOOR[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports adkit.{other}")
    assert wrong == []
