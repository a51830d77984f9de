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
        ### BEGIN SOLUTION tape
        _recording.append(self)
        return self
        ### END SOLUTION

    def __exit__(self, *exc_info: object) -> None:
        """Stop recording (also when the block raised): later nodes are not on the tape."""
        ### BEGIN SOLUTION tape
        _recording.remove(self)
        ### END SOLUTION

    def forward(self, root: Node) -> None:
        """Forward mode from `root` over the nodes on the tape, front to back.

        Reset every recorded node's (and its parents') `partial_derivative` first, so that
        earlier calls change nothing; `root` may be an input made before the tape.
        """
        ### BEGIN SOLUTION tape
        start = self._position(root)
        for node in self.nodes:
            node.partial_derivative = 0.0
            for parent in node.parent_nodes:
                parent.partial_derivative = 0.0
        root.partial_derivative = 1.0
        for node in self.nodes[start + 1 :]:
            tangent = 0.0
            for parent, local in zip(node.parent_nodes, node.grad_wrt_parents):
                tangent += local * parent.partial_derivative
            node.partial_derivative = tangent
        ### END SOLUTION

    def backward(self, output: Node) -> None:
        """Reverse mode from `output` over the nodes on the tape, back to front.

        Reset every recorded node's (and its parents') `adjoint` first, so that calling it
        twice, or after `backward`, gives the same numbers.
        """
        ### BEGIN SOLUTION tape
        end = self._position(output)
        for node in self.nodes:
            node.adjoint = 0.0
            for parent in node.parent_nodes:
                parent.adjoint = 0.0
        output.adjoint = 1.0
        for node in reversed(self.nodes[: end + 1]):
            adjoint = node.adjoint
            for parent, local in zip(node.parent_nodes, node.grad_wrt_parents):
                parent.adjoint += adjoint * local
        ### END SOLUTION

    ### BEGIN SOLUTION tape
    def _position(self, node: Node) -> int:
        """Index of `node` on the tape; a root created before the tape counts as -1."""
        for index, recorded in enumerate(self.nodes):
            if recorded is node:
                return index
        return -1
    ### END SOLUTION
