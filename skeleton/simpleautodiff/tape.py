# ============================================================================
# YOUR FILE. Tasks in this file: tape.
# Fill in each TODO; `pytest -m TASK` runs that task's public tests.
# (Instructors generate this file from the reference with `make skeleton`.)
# ============================================================================
"""The tape: the nodes of a computation in the order they were created.

Creation order is a topological order (a node is created after its parents), so a tape
can be read front to back for forward mode and back to front for reverse mode without
searching the graph (the paper calls methods built on such an order "tape-based").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .node import Node

# The tapes recording right now, innermost last. `Node.__init__` appends each new node to
# every one of them; a tape leaves this list when its `with` block ends, even on error.
_recording: list[Tape] = []


class Tape:
    """`with Tape() as tape:` records every Node created inside, as `tape.nodes`.

    What is graded (task `tape`):
    - `tape.nodes` holds exactly the nodes created inside the `with` block, in creation
      order; nodes created before the block (such as inputs) or after it are not on it.
    - Recording stops when the block ends, also when it ends with an exception.
    - `tape.forward(root)` and `tape.backward(output)` give the same numbers as `forward` and
      `backward`, whatever earlier calls left on the nodes (reset first), by reading the tape
      (no graph search); `root` may be an input created before the tape.
    """

    def __init__(self) -> None:
        self.nodes: list[Node] = []

    def __enter__(self) -> Tape:
        """Start recording: from now on every new Node is appended to `self.nodes`."""
        # TODO [tape]: implement Tape.__enter__() as its docstring says.
        raise NotImplementedError("Task tape: implement Tape.__enter__() in simpleautodiff/tape.py")

    def __exit__(self, *exc_info: object) -> None:
        """Stop recording (also when the block raised): later nodes are not on the tape."""
        # TODO [tape]: implement Tape.__exit__() as its docstring says.
        raise NotImplementedError("Task tape: implement Tape.__exit__() in simpleautodiff/tape.py")

    def forward(self, root: Node) -> None:
        """Forward mode from `root` over the nodes on the tape, front to back.

        Reset every recorded node's (and its parents') `partial_derivative` first, so that
        earlier calls change nothing; `root` may be an input made before the tape.
        """
        # TODO [tape]: implement Tape.forward() as its docstring says.
        raise NotImplementedError("Task tape: implement Tape.forward() in simpleautodiff/tape.py")

    def backward(self, output: Node) -> None:
        """Reverse mode from `output` over the nodes on the tape, back to front.

        Reset every recorded node's (and its parents') `adjoint` first, so that calling it
        twice, or after `backward`, gives the same numbers.
        """
        # TODO [tape]: implement Tape.backward() as its docstring says.
        raise NotImplementedError("Task tape: implement Tape.backward() in simpleautodiff/tape.py")

    # TODO [tape]: helpers and tables for task 'tape' went here; add any you need.
