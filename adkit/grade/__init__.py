"""Grading a cohort: `python -m adkit.grade SUBMISSIONS --out OUT` (see docs/grading.md).

Each student's code runs only in a sandbox (adkit.sandbox) through adkit/inside/handler.py; the
hidden tests in graders/ run in the grader's process and compare what comes back with the
reference's answers.
"""
