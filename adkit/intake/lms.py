"""Student ids from the file names of learning-management systems' bulk downloads.

- Canvas ("Download Submissions"): one file per submitted file, named
  `lastnamefirstname_12345_67890_original.ext`, or `lastnamefirstname_LATE_12345_...` for a
  late one (12345: the Canvas user id; 67890: the file's id, given in upload order). Canvas
  adds `-1`, `-2` to the name of a file submitted again under the same name
  (`simpleautodiff-1.py`); that suffix is removed and kept as `again` (the higher, the newer).
  Described by the tools TAs use on these downloads, e.g. github.com/TimHanneman/
  Canvas_submission_sort (README: "an extra field if the assignment was submitted late and
  if the assignment was resubmitted multiple times a number is added at the end of the
  filename, but before the file extension") and github.com/mikewesthad/canvas-unzipper.
- Moodle ("Download all submissions"): one folder per student and plugin,
  `Full Name_12345_assignsubmission_file_/` (12345: the participant id), or with "download
  submissions in folders" off, files `Full Name_12345_assignsubmission_file_original.ext`
  (moodle/moodle, mod/assign/lang/en/assign.php, `downloadasfolders_help`: "Each
  submission is then put in a separate folder, with the folder structure kept for any
  subfolders, and files are not renamed").

The student id is the name made plain (ASCII letters, digits, `-`) and the number:
`smithjohn_12345`, `jane-doe_12345`: readable, unique, the same on every download.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Linear patterns (no nested repetition), applied to names of at most a few hundred chars.
CANVAS = re.compile(r"(?P<name>[^\W_]+)(?P<late>_[Ll][Aa][Tt][Ee])?_(?P<number>\d+)_"
                    r"(?P<file_id>\d+)_(?P<file>.+)")
MOODLE = re.compile(r"(?P<name>[^_]+)_(?P<number>\d+)_assignsubmission_(?P<plugin>[a-z]+)_"
                    r"(?P<file>.*)")
_AGAIN = re.compile(r"-(\d{1,6})(?=\.[A-Za-z0-9]+$)")  # Canvas's `-1` before the extension


@dataclass(frozen=True)
class Named:
    """Whose a bulk-download entry is: the student id, the file's own name ('' for a folder),
    the platform, and why it is not graded (Moodle's online text), if so. For Canvas also
    the `-N` of a file submitted again (0 if none), the file's id and the LATE mark."""

    student_id: str
    file: str
    platform: str
    not_graded: str | None = None
    again: int = 0
    file_id: int = 0
    late: bool | None = None


def plain(name: str) -> str:
    """A person's name as id text: `Zoë O'Brien` -> `zoe-o-brien`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "student"


def named(entry: str, is_folder: bool) -> Named | None:
    """Whose the entry `entry` of a bulk download is, or None if it is not in one's naming."""
    if len(entry) > 400:
        return None
    moodle = MOODLE.fullmatch(entry)
    if moodle and moodle["file"] in (".", ".."):
        return None  # not a name a file can be given
    if moodle and (is_folder == (moodle["file"] == "")):
        why = None
        if moodle["plugin"] != "file":
            why = (f"Moodle's {moodle['plugin']} submission (text typed into Moodle), not "
                   "files: not graded")
        return Named(f"{plain(moodle['name'])}_{moodle['number']}", moodle["file"], "Moodle",
                     why)
    canvas = CANVAS.fullmatch(entry)
    if canvas and not is_folder:
        again = _AGAIN.search(canvas["file"])
        file = _AGAIN.sub("", canvas["file"])
        if file in (".", ".."):
            return None  # not a name a file can be given
        return Named(f"{plain(canvas['name'])}_{canvas['number']}", file, "Canvas",
                     again=int(again[1]) if again else 0,
                     file_id=int(canvas["file_id"][:18]), late=bool(canvas["late"]))
    return None
