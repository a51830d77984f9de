"""Transition only: adkit/grade/runner.py still imports `Session` from here.

The hidden tests' helpers now live in modules named for what they hold: session.py (the
student's session and budgets), reference.py (the reference's answers and the per-job
cache), builders.py (scenarios), verdicts.py (Judge and verdicts), judging.py (running and
judging a test's scenarios), explain.py (text and shrinking).
"""

from adkit.grade.reference import GraderError, load_reference
from adkit.grade.session import Session

__all__ = ["GraderError", "Session", "load_reference"]
