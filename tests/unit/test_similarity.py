"""Similarity (adkit/similarity/): winnowing per student, the skeleton discounted, students
read through the intake, and the pages it writes (escaped, self-contained). In-process;
notebook students: tests/sandbox/test_similarity_notebooks.py; `make similarity`:
tests/e2e/test_similarity_make.py."""

from __future__ import annotations

import csv
import keyword
import os
import re
import shutil
import zipfile
from pathlib import Path

from adkit.outputs.cohort import Cohort
from adkit.outputs.report import report_html, similarity_section
from adkit.outputs.similar import read_similarity
from adkit.similarity.__main__ import main
from adkit.similarity.pages import similarity_html
from adkit.similarity.pairs import all_pairs, fingerprints
from adkit.similarity.students import read_cohort, skeleton_sources
from adkit.similarity.winnow import tokens, winnow
from tests.helpers import ROOT

COHORT = ROOT / "tests" / "cohort"
SKELETON = ROOT / "skeleton" / "simpleautodiff"
INDEPENDENT = ["correct_kahn", "correct_pull_modules", "correct_tape_first"]


def _renamed(code: str) -> str:
    """`code` with every identifier renamed and comments reworded: a disguised copy."""
    names: dict[str, str] = {}

    def rename(match: re.Match) -> str:
        word = match.group()
        if keyword.iskeyword(word) or word in dir(__builtins__):
            return word
        return names.setdefault(word, f"q{len(names)}_{word[::-1]}")

    code = re.sub(r"#[^\n]*", "# my own comment", code)
    return re.sub(r"[A-Za-z_]\w*", rename, code)


def _scores(folder: Path, tmp: Path) -> dict[tuple[str, str], float]:
    students, left = read_cohort(folder, tmp)
    assert left == []
    return {(p.a, p.b): p.score
            for p in all_pairs(fingerprints(students, skeleton_sources()))}


def _student(cohort: Path, name: str, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = cohort / name / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def test_a_renamed_copy_scores_high_and_independent_solutions_lower(tmp_path):
    cohort = tmp_path / "cohort"
    for name in INDEPENDENT:
        shutil.copytree(COHORT / name, cohort / name)
    original = (COHORT / "correct_kahn" / "simpleautodiff.py").read_text(encoding="utf-8")
    _student(cohort, "copier", {"simpleautodiff.py": _renamed(original)})
    scores = _scores(cohort, tmp_path / "scratch")
    copied = scores[("copier", "correct_kahn")]
    assert copied > 0.95, scores
    others = [s for pair, s in scores.items() if pair != ("copier", "correct_kahn")]
    assert max(others) < 0.5, scores
    assert max(scores, key=scores.get) == ("copier", "correct_kahn")


OWN_A = '''
def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)
        return len(self.items)

    def pop(self):
        if not self.items:
            raise IndexError("empty")
        return self.items.pop()
'''

OWN_B = '''
def words(text):
    counts = {}
    for word in text.lower().split():
        word = word.strip(".,;:!?")
        if word:
            counts[word] = counts.get(word, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def matrix_product(m, n):
    rows, inner, cols = len(m), len(n), len(n[0])
    return [[sum(m[i][k] * n[k][j] for k in range(inner)) for j in range(cols)]
            for i in range(rows)]
'''


def test_the_skeleton_alone_does_not_make_two_students_similar(tmp_path):
    cohort = tmp_path / "cohort"
    given = {f"simpleautodiff/{p.name}": p.read_text(encoding="utf-8")
             for p in sorted(SKELETON.glob("*.py"))}
    _student(cohort, "ann", given | {"simpleautodiff/extra.py": OWN_A})
    _student(cohort, "bob", given | {"simpleautodiff/extra.py": OWN_B})
    students, _ = read_cohort(cohort, tmp_path / "scratch")
    discounted = all_pairs(fingerprints(students, skeleton_sources()))[0]
    plain = all_pairs(fingerprints(students, []))[0]
    assert plain.score > 0.9  # the given code is most of both: it must be discounted
    assert discounted.score < 0.1, discounted


def test_students_are_read_through_the_intake(tmp_path):
    """An archive is unpacked, a symbolic link is not followed, a student without code is
    listed as not compared."""
    cohort = tmp_path / "cohort"
    code = (COHORT / "correct_kahn" / "simpleautodiff.py").read_text(encoding="utf-8")
    _student(cohort, "real", {"simpleautodiff.py": code})
    (cohort / "linker").mkdir()
    os.symlink(cohort / "real" / "simpleautodiff.py", cohort / "linker" / "simpleautodiff.py")
    with zipfile.ZipFile(cohort / "zipped.zip", "w") as archive:
        archive.writestr("hw/simpleautodiff.py", _renamed(code))
    students, left = read_cohort(cohort, tmp_path / "scratch")
    assert sorted(s.student_id for s in students) == ["real", "zipped"]
    assert [name for name, _ in left] == ["linker"] and "no simpleautodiff" in left[0][1]


HOSTILE = '''"""</pre><script>alert("docstring")</script>"""
# <img src=x onerror=alert(1)> & </mark>
def attack(x):
    value = "</pre></div><script>alert('code')</script>"
    for i in range(10):
        value = value + "<b>" * i + str(x) + "&amp;"
    return value, [v for v in range(x) if v % 3 == 0 and v > 1], x * 2 + 1
'''


def test_hostile_text_is_escaped_and_the_page_is_self_contained(tmp_path):
    cohort = tmp_path / "cohort"
    for name in ("mallory", "trudy"):
        _student(cohort, name, {"simpleautodiff/__init__.py": HOSTILE,
                                "simpleautodiff/<img src=x onerror=alert(2)>.py": HOSTILE})
    out = tmp_path / "out"
    assert main([str(cohort), "--out", str(out), "--threshold", "50"]) == 0
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert" in page and "&lt;img src=x onerror=alert(2)&gt;.py" in page
    assert "<mark>" in page and "http" not in page.replace("http-equiv", "")
    rows = list(csv.DictReader((out / "similarity.csv").open(encoding="utf-8")))
    assert rows == [{"student_a": "mallory", "student_b": "trudy", "score": "100.0",
                     "share_a": "100.0", "share_b": "100.0",
                     "matched_tokens": rows[0]["matched_tokens"], "above_threshold": "1"}]


def test_the_command_writes_sorted_pairs_and_the_report_section(tmp_path, capsys):
    cohort = tmp_path / "cohort"
    for name in INDEPENDENT:
        shutil.copytree(COHORT / name, cohort / name)
    code = (COHORT / "correct_kahn" / "simpleautodiff.py").read_text(encoding="utf-8")
    _student(cohort, "copier", {"simpleautodiff.py": _renamed(code)})
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text(report_html(Cohort([])), encoding="utf-8")
    assert main([str(cohort), "--out", str(out), "--threshold", "80"]) == 0
    rows = list(csv.DictReader((out / "similarity.csv").open(encoding="utf-8")))
    assert len(rows) == 6 and [float(r["score"]) for r in rows] == \
        sorted((float(r["score"]) for r in rows), reverse=True)
    assert (rows[0]["student_a"], rows[0]["student_b"], rows[0]["above_threshold"]) == \
        ("copier", "correct_kahn", "1")
    assert [r["above_threshold"] for r in rows[1:]] == ["0"] * 5
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'href="similarity.html"' in report and "<code>copier</code>" in report
    assert similarity_section(read_similarity(out)) in report
    assert "compared 4 students (6 pairs)" in capsys.readouterr().err
    fresh = report_html(Cohort([], similarity=read_similarity(out)))  # as `make grade` does
    assert "Similarity (1 of 6 pairs above the threshold)" in fresh


def test_bad_command_lines_say_what_is_wrong(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "one" / "a").mkdir(parents=True)
    (tmp_path / "one" / "a" / "simpleautodiff.py").write_text(OWN_A, encoding="utf-8")
    assert main([str(tmp_path / "one"), "--out", str(tmp_path / "o")]) == 2
    assert "1 student(s) with code" in capsys.readouterr().err
    assert main([str(tmp_path / "one"), "--threshold", "150"]) == 2


def test_winnowing_survives_broken_code_and_keeps_a_fingerprint_per_window():
    found = tokens('def f(:\n    x = "unterminated\n  y = 1\n')
    assert [t.text for t in found][:3] == ["def", "V", "("] and len(found) > 6
    hashes = [5, 3, 8, 3, 9, 1, 7, 7, 2]
    kept = winnow(hashes, 3)
    assert all(any(start <= p < start + 3 for p in kept) for start in range(len(hashes) - 2))
    assert kept == [1, 3, 5, 8]  # rightmost minimum of each window, each position once


def test_an_empty_cohort_page_renders():
    assert "No pair reaches the threshold" in similarity_html([], {}, {}, 50.0)


def test_the_report_section_escapes_and_survives_a_broken_csv(tmp_path):
    (tmp_path / "similarity.csv").write_text(
        "student_a,student_b,score,share_a,share_b,matched_tokens,above_threshold\n"
        '"<script>x</script>",b,90.0,90.0,90.0,300,1\n', encoding="utf-8")
    section = similarity_section(read_similarity(tmp_path))
    assert "<script>x" not in section and "&lt;script&gt;x&lt;/script&gt;" in section
    (tmp_path / "similarity.csv").write_text("not,the,header\n1,2,3\n", encoding="utf-8")
    assert "could not be read" in similarity_section(read_similarity(tmp_path))
    assert similarity_section(read_similarity(tmp_path / "nowhere")) == ""
