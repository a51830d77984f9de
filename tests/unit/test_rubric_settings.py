"""The rubric's settings of how tasks run (`run_order`, `shared_graphs`), read and checked
with a message that says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT


def _rubric_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "graders" / "rubric.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "rubric.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


RUN_ORDER = 'run_order = ["graph", "topological_order", "forward_mode", "reverse_mode", "tape",\n' \
            '             "operators", "wrapper"]'


@pytest.mark.parametrize(("old", "new", "said"), [
    (RUN_ORDER, 'run_order = ["graph"]', "run_order must list every task once"),
    (RUN_ORDER, RUN_ORDER.replace('"wrapper"', '"graph"'), "run_order must list every task"),
    (RUN_ORDER, RUN_ORDER.replace('"wrapper"', '{ a = 1 }'), "run_order must list every task"),
    (RUN_ORDER, 'run_order = "graph"', "run_order must list every task once"),
    ("[tasks.tape]\npoints = 15\n", "[tasks.tape]\npoints = 15\nshared = true\n",
     "[tasks.tape] has unknown key(s) ['shared']; allowed: points, tests, shared_graphs"),
    ("[tasks.tape]\npoints = 15\nshared_graphs = true", "[tasks.tape]\npoints = 15\n"
     "shared_graphs = 1", "[tasks.tape] shared_graphs must be true or false"),
])
def test_a_wrong_run_order_or_task_setting_is_refused_with_what_to_do(tmp_path, old, new, said):
    from adkit.model.rubric import RubricError, load_rubric

    with pytest.raises(RubricError) as error:
        load_rubric(_rubric_with(tmp_path, old, new))
    assert said in str(error.value)


def test_the_rubrics_run_order_and_shared_graphs_are_read(tmp_path):
    from adkit.model.rubric import load_rubric

    swapped = RUN_ORDER.replace('"tape",', '"operators",', 1).replace(
        '"operators", "wrapper"', '"tape", "wrapper"')
    rubric = load_rubric(_rubric_with(tmp_path, RUN_ORDER, swapped))
    assert rubric.run_order.index("operators") < rubric.run_order.index("tape")
    rubric = load_rubric(_rubric_with(tmp_path, "[tasks.tape]\npoints = 15\nshared_graphs = true",
                                      "[tasks.tape]\npoints = 15"))
    assert "tape" not in rubric.shared_graphs and "reverse_mode" in rubric.shared_graphs




def test_a_kit_whose_own_rubric_cannot_be_read_says_to_restore_it(tmp_path, monkeypatch):
    from adkit.model import rubric

    broken = tmp_path / "rubric.toml"
    broken.write_text("[tasks.graph\npoints = 20\n", encoding="utf-8")
    assert rubric._task_tables(broken) == () and rubric._task_tables(tmp_path / "none") == ()
    monkeypatch.setattr(rubric, "TASKS", ())
    with pytest.raises(rubric.RubricError, match="task list is read from .*restore it"):
        rubric.load_rubric()
