"""Similarity between students' code: MOSS-style winnowing (adkit/similarity/winnow.py) over
each student's whole code, read through the intake's safe staging (students.py), written
as OUT/similarity.csv and OUT/similarity.html (pages.py). Run it with `make similarity`."""
