"""nbgrader configuration of the kit's course (see docs/course.md).

Paths come from the environment so that `make course-*` can point one course directory
at any exchange and database: ADKIT_EXCHANGE (default: exchange/ here), ADKIT_COURSE_DB
(default: gradebook.db here), ADKIT_COURSE_ID (default: adkit-autodiff).

Autograde runs no student code here, with `make course-autograde` or a bare `nbgrader
autograde` alike: nbgrader's Execute (a kernel with the TA's rights) is replaced by the
kit's SandboxedExecute, which runs each code cell in the kit's sandbox and brings its
outputs back as checked data. Without an isolating sandbox it grades nothing, unless
ADKIT_TRUSTED=1 (`make ... TRUSTED=1`); ADKIT_SANDBOX=bubblewrap|container picks one.
"""

import os
import sys
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ComputeChecksums,
    GetGrades,
    IgnorePattern,
    IncludeHeaderFooter,
    InstantiateTests,
    LimitOutput,
    LockCells,
    SaveAutoGrades,
    SaveCells,
)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from nbgrader_fixes import (  # noqa: E402
    ClearSolutionsInScope,
    HideHiddenTestTracebacks,
    SandboxedExecute,
    StderrIsNotAFailure,
)

c = get_config()  # noqa: F821 (traitlets provides it)

c.CourseDirectory.course_id = os.environ.get("ADKIT_COURSE_ID", "adkit-autodiff")
c.CourseDirectory.root = str(HERE)
c.CourseDirectory.db_url = os.environ.get("ADKIT_COURSE_DB") or f"sqlite:///{HERE / 'gradebook.db'}"
c.Exchange.root = os.environ.get("ADKIT_EXCHANGE") or str(HERE / "exchange")

# Kernels (nbgrader validate, run by instructors on their own notebooks): the hidden tests
# take a few seconds; a student's endless loop stops here.
c.Execute.timeout = 120
c.Execute.startup_timeout = 120
# Autograde: the cells run in the kit's sandbox, which reads neither the course folder
# (source notebooks, submissions, gradebook) nor the kit's reference and graders.
c.SandboxedExecute.timeout = 120
c.SandboxedExecute.course_root = str(HERE)
c.SandboxedExecute.db_url = c.CourseDirectory.db_url

# Release: solution regions outside functions become comments, not a raising stub.
c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutionsInScope, ClearOutput,
    CheckCellMetadata, ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme,
    ComputeChecksums, CheckCellMetadata,
]
# Autograde: no kernel (student code only in the sandbox); stderr (a warning) must not
# fail a test cell of a correct solution.
c.Autograde.autograde_preprocessors = [
    SandboxedExecute, StderrIsNotAFailure, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
# Feedback: hidden tests never reach students, neither as code nor in tracebacks.
c.GenerateFeedback.preprocessors = [
    GetGrades, HideHiddenTestTracebacks, ClearHiddenTests, CSSHTMLHeaderPreprocessor,
]
# As root every submission belongs to root: the owner check would only warn, every time.
if hasattr(os, "geteuid") and os.geteuid() == 0:
    c.ExchangeCollect.check_owner = False
