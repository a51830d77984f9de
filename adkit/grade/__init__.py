"""The graders' toolkit: what the hidden tests in graders/ use to question a submission.

A `Session` sends scenarios to the student's worker in the sandbox (whose side is
adkit/inside/handler.py), `builders` and `stand_in_data` make them, `judging` and `verdicts`
compare the answers with the reference's, `explain` words the smallest failing case, and
`plugin` keeps each test's outcome for the cohort runner (adkit.cohort).
"""
