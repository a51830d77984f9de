"""A notebook student's feedback: the stored result and feedback.md the course's sandboxed
feedback page is made from (adkit/platforms/course_feedback.py)."""

from __future__ import annotations

import json

from adkit.cohort.scoring import score
from adkit.model.rubric import load_rubric

ERROR = ('SyntaxError: 2_forward_mode.ipynb, cell 10 under "Forward mode in code" does not '
         "compile (line 8: invalid syntax); fix it and run the notebook again")

FEEDBACK = f"""# Feedback for s1

**Total: 85 / 100**

**From your notebooks:**
- 2_forward_mode.ipynb: {ERROR[13:70]} (line 8: invalid syntax); it is left out

## forward_mode: 0 / 15

- **forward_mode: paper example** (0 / 3):
  The paper's function: forward mode for y = log(x1)   at x1 = 2: {ERROR} (4 of 4 functions failed)
- **forward_mode: shared nodes** (0 / 3):
  Fan-out: forward mode for y = x1*x1   at x1 = 1.5: {ERROR} (6 of 6 functions failed)
  Plain numbers as arguments: forward mode for y = x1 + 2   at x1 = 1.5: {ERROR}
- **forward_mode: big graphs** (0 / 4):
  forward mode on a chain of 100,000 operations: {ERROR}

## operators: 9 / 10

- **operators: random expressions** (2 / 3):
  Random expressions: y = 2 - x1: y has value -0.5, expected 0.5 <script>alert(1)</script>
"""


def feedback_data() -> dict:
    """s1's stored result: 85 / 100, forward_mode 0 and operators 9 of 10."""
    rubric = load_rubric()
    data = json.loads(json.dumps(score("s1", rubric, {}).to_json()))
    data["extra_data"]["tasks"].update(topological_order=15, forward_mode=0, operators=9)
    return data
