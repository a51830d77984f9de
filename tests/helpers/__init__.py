"""What the kit's tests share besides fixtures (those are in tests/conftest.py): where things
are, and small builders. No tests here, and no test module imports another test module."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout
TESTS = ROOT / "tests"
COHORT = TESTS / "cohort"  # correct solutions and realistic bugs (docs/cohort.md)
HOSTILE = TESTS / "hostile"  # hostile submissions, run only in a sandbox
FIXTURES = TESTS / "fixtures"  # small data: the sandbox's cases, stored results, ...
