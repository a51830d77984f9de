"""Time one submission's own code on the graders' big graphs: the floor under any grader.

    python bench/own_code.py SUBMISSION_FOLDER      # prints one JSON line of seconds

Run by bench_cohort.py in a plain child process per kind of submission (the kit's own test
cohort: trusted code, no sandbox). It times, with nothing of the grader around them, the
calls that the hidden tests make on the big graphs: building the 100,000-op chain inside a
Tape with the submission's Node (wired as the worker wires it), topological_order(x1),
reverse_topological_order(y), forward(x1) and backward(y) with ready-made orders swapped in
(as the worker does), tape.forward(x1), tape.backward(y), and topological_order on the
30,000-child star. Whatever a grader does, it has to run these, so their sum over a cohort,
divided by the cores, is a lower bound on the cohort's grading time.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLS = ("build", "topological_order", "reverse_topological_order", "forward", "backward",
         "tape", "star")


def measure(folder: Path) -> dict[str, float | str]:
    sys.path.insert(0, str(ROOT))
    from adkit.grade.builders import BIG, STAR
    from adkit.grade.stand_in_data import generated_wiring, order_from
    from adkit.inside import graphs, stand_ins

    sys.path.insert(0, str(folder))
    import simpleautodiff as ad

    gc.disable()  # as in the worker
    (kind, size, _), = BIG
    chain = generated_wiring(kind, size, 0)
    star = generated_wiring(*STAR)
    seconds: dict[str, float | str] = {}

    def timed(name: str, call: object) -> object:
        start = time.perf_counter()
        try:
            return call()  # type: ignore[operator]
        except Exception as error:  # a buggy submission fails fast: count the time it took
            seconds.setdefault("errors", "")
            seconds["errors"] += f"{name}: {type(error).__name__}; "  # type: ignore[operator]
            return None
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start  # type: ignore[operator]

    def build() -> tuple[list[object], object]:
        try:
            with ad.Tape() as tape:
                return graphs.hand_build(chain, ad), tape
        except Exception:  # as the worker does: a broken Tape costs only the tape task
            return graphs.hand_build(chain, ad), None

    built = timed("build", build)
    if built is None:
        return seconds
    nodes, tape = built
    known = {id(n): i for i, n in enumerate(nodes)}
    x1, y = nodes[0], nodes[-1]
    timed("topological_order", lambda: ad.topological_order(x1))
    timed("reverse_topological_order", lambda: ad.reverse_topological_order(y))
    scope = stand_ins.Scope()
    last = len(nodes) - 1  # orders computed outside the timing, as the grader sends them
    order = stand_ins.stand_in_order(scope, lambda: (nodes, known),
                                     {0: order_from(chain["parents"], 0, False)}, False,
                                     "forward")
    reverse = stand_ins.stand_in_order(scope, lambda: (nodes, known),
                                       {last: order_from(chain["parents"], last, True)},
                                       True, "backward")
    with stand_ins.swapped(ad.forward, ad, {"topological_order": order}, stand_ins.Scope()):
        timed("forward", lambda: ad.forward(x1))
    with stand_ins.swapped(ad.backward, ad, {"reverse_topological_order": reverse},
                           stand_ins.Scope()):
        timed("backward", lambda: ad.backward(y))
    if tape is not None:
        timed("tape", lambda: (tape.forward(x1), tape.backward(y)))
    star_nodes = graphs.hand_build(star, ad)
    timed("star", lambda: ad.topological_order(star_nodes[0]))
    return seconds


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(json.dumps(measure(Path(sys.argv[1]).resolve())))
