"""Submissions as course platforms hand them out (adkit/intake/archives.py, lms.py): per-student
zips and tars, one archive of the cohort, Canvas's and Moodle's bulk downloads; every refused
member is named, nothing else is lost. (A cohort archive graded by the command:
tests/e2e/test_archives_cli.py.)"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from adkit.intake import archives
from adkit.intake.lms import named, plain
from adkit.intake.submissions import scan_submissions
from tests.helpers.archive_builders import (
    ROOT,
    hostile_zip,
    many_folders_tar,
    many_folders_zip,
    package_members,
    tar_bytes,
    zip_bomb_member,
    zip_bytes,
)


def _scan(tmp_path: Path, source: Path):
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    return scan_submissions(source, unpacked)


def test_a_hostile_student_zip_is_unpacked_with_every_refusal_named(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "s1.zip").write_bytes(hostile_zip())
    (found,), skipped = _scan(tmp_path, submissions)
    assert skipped == []
    assert found.student_id == "s1" and found.folder.name == "hw3"  # the wrapping folder
    assert sorted(p.name for p in (found.folder / "simpleautodiff").iterdir()) == \
        sorted(p.name for p in (ROOT / "reference" / "simpleautodiff").glob("*.py"))
    refused = "\n".join(found.refused)
    for name, why in [("../../outside.py", "`..`"), ("/tmp/absolute.py", "absolute path"),
                      ("windows.py", "`..`"), ("again.zip", "archive inside an archive"),
                      ("zeros.ipynb", "zip bomb"), ("stolen.py", "symbolic link")]:
        assert any(name in line and why in line for line in found.refused), (name, refused)
    assert len(found.refused) == 6 and "MACOSX" not in refused and "DS_Store" not in refused
    assert not list(tmp_path.rglob("outside.py")) and not list(tmp_path.rglob("windows.py"))
    assert not list(tmp_path.rglob("absolute.py")) and not list(tmp_path.rglob("stolen.py"))


def test_a_zip_bomb_and_many_highly_compressed_files_stay_under_the_caps(tmp_path):
    (tmp_path / "bomb.zip").write_bytes(zip_bomb_member(64 * 1024**2))
    result = archives.unpack(tmp_path / "bomb.zip", tmp_path / "out")
    assert result.files == 0 and "over the 4 MiB limit" in result.refused[0]
    many = {f"f{k}.py": b"#" * (3 * 1024**2) for k in range(30)}  # 90 MiB, each 1000:1
    (tmp_path / "many.zip").write_bytes(zip_bytes(many))
    result = archives.unpack(tmp_path / "many.zip", tmp_path / "many")
    assert result.bytes == 0 and len(result.refused) == 30
    assert sum(p.stat().st_size for p in (tmp_path / "many").rglob("*")) == 0


def test_member_count_cap(tmp_path):
    caps = archives.Caps(5, 1024, 1024, 10_000, nested=False)
    (tmp_path / "a.zip").write_bytes(zip_bytes({f"f{k}.py": b"x" for k in range(8)}))
    result = archives.unpack(tmp_path / "a.zip", tmp_path / "out", caps)
    assert result.files == 5 and result.members == 6
    assert result.refused == ["a.zip: more than 5 members (files, folders and links all "
                              "count), so the rest of the archive from f5.py on is not "
                              "unpacked: hand in fewer files"]


@pytest.mark.parametrize("kind", ["tar.gz", "zip", "zip that lies about its count"])
def test_200000_folders_are_refused_at_the_first_member_over_the_cap(tmp_path, kind):
    # Issue 22: 200,000 directory entries (1 MB as .tar.gz) took 30 s and the disk's inodes.
    if kind == "tar.gz":
        data = many_folders_tar(200_000)
    else:
        data = many_folders_zip(200_000, declared=3 if "lies" in kind else None)
    name = "s1.tar.gz" if kind == "tar.gz" else "s1.zip"
    (tmp_path / name).write_bytes(data)
    result = archives.unpack(tmp_path / name, tmp_path / "out")
    cap = archives.STUDENT.members
    assert result.members == cap + 1  # read up to the first member over the cap, no further
    assert len(list((tmp_path / "out").iterdir())) == cap
    assert result.refused == [f"{name}: more than {cap} members (files, folders and links "
                              f"all count), so the rest of the archive from d{cap}"
                              f"{'' if kind == 'tar.gz' else '/'} on is not unpacked: hand "
                              "in fewer files"]


def test_links_devices_folders_and_empty_names_count_like_files(tmp_path):
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, kind in [("a", tarfile.DIRTYPE), ("l1", tarfile.SYMTYPE),
                           ("l2", tarfile.LNKTYPE), ("fifo", tarfile.FIFOTYPE),
                           ("dev", tarfile.CHRTYPE), ("", tarfile.REGTYPE),
                           ("__MACOSX/x", tarfile.REGTYPE), ("late.py", tarfile.REGTYPE)]:
            info = tarfile.TarInfo(name)
            info.type = kind
            archive.addfile(info, io.BytesIO(b""))
    (tmp_path / "s.tar").write_bytes(buffer.getvalue())
    caps = archives.Caps(7, 1024, 1024, 10_000, nested=False)
    result = archives.unpack(tmp_path / "s.tar", tmp_path / "out", caps)
    assert result.members == 8 and result.files == 0
    assert not (tmp_path / "out" / "late.py").exists()
    assert "from late.py on is not unpacked" in result.refused[-1]


def test_a_tar_with_links_and_dots_is_refused_member_by_member(tmp_path):
    members = {**package_members(), "../up.py": b"x", "./ok/./fine.py": b"y = 2\n"}
    (tmp_path / "s2.tar.gz").write_bytes(tar_bytes(members, {"link.py": "/etc/passwd"}))
    result = archives.unpack(tmp_path / "s2.tar.gz", tmp_path / "out")
    assert (tmp_path / "out" / "ok" / "fine.py").read_text() == "y = 2\n"
    assert (tmp_path / "out" / "simpleautodiff" / "node.py").is_file()
    assert any("../up.py" in r and "`..`" in r for r in result.refused)
    assert any("link.py" in r and "symbolic link" in r for r in result.refused)
    assert not (tmp_path / "up.py").exists() and not (tmp_path / "out" / "link.py").exists()


def test_a_broken_archive_is_one_named_refusal(tmp_path):
    (tmp_path / "s3.zip").write_bytes(b"PK\3\4 this is not a zip")
    result = archives.unpack(tmp_path / "s3.zip", tmp_path / "out")
    assert len(result.refused) == 1 and "s3.zip" in result.refused[0]
    assert "not a readable zip or tar archive" in result.refused[0]


def test_an_archive_that_is_a_link_is_refused(tmp_path):
    (tmp_path / "real.zip").write_bytes(zip_bytes({"a.py": b""}))
    (tmp_path / "s4.zip").symlink_to(tmp_path / "real.zip")
    result = archives.unpack(tmp_path / "s4.zip", tmp_path / "out")
    assert result.files == 0 and "symbolic link" in result.refused[0]


@pytest.mark.parametrize(("entry", "folder", "student", "file"), [
    ("smithjohn_12345_67890_simpleautodiff.py", False, "smithjohn_12345", "simpleautodiff.py"),
    ("smithjohn_LATE_12345_67891_1_graph-1.ipynb", False, "smithjohn_12345", "1_graph.ipynb"),
    ("Zoë O'Brien_501_assignsubmission_file_", True, "zoe-o-brien_501", ""),
    ("Jane Doe_77_assignsubmission_file_hw.zip", False, "jane-doe_77", "hw.zip"),
])
def test_canvas_and_moodle_names_give_stable_ids(entry, folder, student, file):
    found = named(entry, folder)
    assert found is not None and (found.student_id, found.file) == (student, file)
    assert named("s2401", True) is None and named("README.md", False) is None
    assert plain("Åsa Ñúñez") == "asa-nunez"


def test_a_canvas_bulk_download_as_one_archive(tmp_path):
    notebooks = sorted((ROOT / "demo_cohort" / "s2409").glob("*.ipynb"))
    members = {f"smithjohn_LATE_1001_{k}_{p.stem}-1.ipynb": p.read_bytes()
               for k, p in enumerate(notebooks)}
    members["doejane_1002_77_hw.zip"] = zip_bytes(package_members("hw/"))
    members["roeric_1003_78_simpleautodiff.py"] = b"def broken(:\n"
    members["roeric_1003_79_notes.txt"] = b"my notes\n"
    cohort = tmp_path / "cohort.zip"
    cohort.write_bytes(zip_bytes(members))
    found, skipped = _scan(tmp_path, cohort)
    assert skipped == []
    by_id = {s.student_id: s for s in found}
    assert sorted(by_id) == ["doejane_1002", "roeric_1003", "smithjohn_1001"]
    assert sorted(p.name for p in by_id["smithjohn_1001"].folder.iterdir()) == \
        sorted(p.name for p in notebooks)
    assert (by_id["doejane_1002"].folder / "simpleautodiff" / "tape.py").is_file()
    assert (by_id["roeric_1003"].folder / "simpleautodiff.py").read_text() == "def broken(:\n"


def test_a_moodle_download_unpacked_into_a_folder(tmp_path):
    submissions = tmp_path / "moodle"
    first = submissions / "Ada Lovelace_11_assignsubmission_file_"
    first.mkdir(parents=True)
    (first / "hw.zip").write_bytes(zip_bytes(package_members()))
    second = submissions / "Alan Turing_12_assignsubmission_file_"
    second.mkdir()
    (second / "simpleautodiff.py").write_text("x = 1\n")
    text = submissions / "Alan Turing_12_assignsubmission_onlinetext_"
    text.mkdir()
    (text / "onlinetext.html").write_text("<p>hi</p>")
    found, skipped = _scan(tmp_path, submissions)
    assert [s.student_id for s in found] == ["ada-lovelace_11", "alan-turing_12"]
    assert (found[0].folder / "simpleautodiff" / "node.py").is_file()
    assert found[1].folder == second
    assert [s.name for s in skipped] == [text.name] and "onlinetext" in skipped[0].reason


def test_nothing_in_submissions_is_skipped_silently(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "s1").mkdir()
    (submissions / "s1.zip").write_bytes(zip_bytes({"simpleautodiff.py": b""}))
    (submissions / "bad name.zip").write_bytes(zip_bytes({"simpleautodiff.py": b""}))
    (submissions / "grades.csv").write_text("id,score\n")
    os.mkfifo(submissions / "pipe")
    found, skipped = _scan(tmp_path, submissions)
    # s1/ (empty) and s1.zip share no file: merged (docs/grading.md), never both skipped.
    assert [s.student_id for s in found] == ["s1"]
    assert (found[0].folder / "simpleautodiff.py").is_file()
    reasons = {s.name: s.reason for s in skipped}
    assert set(reasons) == {"bad name.zip", "grades.csv", "pipe"}
    assert "rename the archive" in reasons["bad name.zip"]
    assert "FIFO" in reasons["pipe"] and "not a student folder" in reasons["grades.csv"]


def test_an_unchanged_archive_keeps_its_times_across_runs(tmp_path):
    (tmp_path / "s1.zip").write_bytes(zip_bytes(package_members()))
    times = []
    for run in range(2):
        unpacked = tmp_path / f"run{run}"
        unpacked.mkdir()
        (student,), _ = scan_submissions(_only(tmp_path, "s1.zip"), unpacked)
        times.append(student.newest_change())
    assert times[0] == times[1] and times[0] < (tmp_path / "s1.zip").stat().st_mtime + 1


def _only(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "only"
    folder.mkdir(exist_ok=True)
    if not (folder / name).exists():
        (folder / name).write_bytes((tmp_path / name).read_bytes())
    return folder


def test_a_tar_bomb_stops_reading_early(tmp_path):
    import io
    import tarfile
    import time

    path = tmp_path / "s5.tar.gz"
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        info = tarfile.TarInfo("zeros.py")
        info.size = 200 * 1024**2
        archive.addfile(info, _Zeros(info.size))
        good = b"x = 1\n"
        info = tarfile.TarInfo("after.py")
        info.size = len(good)
        archive.addfile(info, io.BytesIO(good))
    began = time.monotonic()
    result = archives.unpack(path, tmp_path / "out")
    assert time.monotonic() - began < 10
    assert result.files == 0 and "a bomb?" in result.refused[0]


class _Zeros:
    """A file-like object of `size` zero bytes, for building a bomb without the memory."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return b"\0" * n


def test_a_damaged_member_costs_that_member_only(tmp_path):
    path = tmp_path / "s6.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("broken.py", b"AAAAAAAAAAAAAAAA")
        archive.writestr("simpleautodiff.py", b"x = 1\n")
    data = path.read_bytes()
    path.write_bytes(data.replace(b"AAAAAAAAAAAAAAAA", b"AAAAAAAABAAAAAAA", 1))  # bad CRC
    result = archives.unpack(path, tmp_path / "out")
    assert (tmp_path / "out" / "simpleautodiff.py").read_bytes() == b"x = 1\n"
    assert not (tmp_path / "out" / "broken.py").exists()
    assert result.refused == ["s6.zip: broken.py: damaged or unreadable (a bad checksum, data "
                              "cut short or a compression method this kit does not read)"]
