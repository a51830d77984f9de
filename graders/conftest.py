"""Fixtures of the hidden tests: `session` (the student being graded) and `judge`.

These tests run only under `python -m adkit.cohort`, whose plugin (adkit.grade.plugin)
holds the student's session and the rubric; see docs/grading.md.
"""

import pytest

from adkit.grade.plugin import GradePlugin
from adkit.grade.session import Session
from adkit.grade.verdicts import Judge


def _plugin(config: pytest.Config):
    plugin = next((p for p in config.pluginmanager.get_plugins()
                   if isinstance(p, GradePlugin)), None)
    if plugin is None:
        raise pytest.UsageError("the hidden graders run only under `python -m adkit.cohort`")
    return plugin


@pytest.fixture
def session(request: pytest.FixtureRequest) -> Session:
    return _plugin(request.config).session


@pytest.fixture
def judge(request: pytest.FixtureRequest, session: Session) -> Judge:
    plugin = _plugin(request.config)
    judge = Judge()
    plugin.judges[request.node.nodeid] = judge
    plugin.start(request.node)
    return judge
