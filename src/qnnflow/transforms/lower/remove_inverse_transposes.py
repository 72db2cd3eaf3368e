"""Two Transposes that undo each other are removed:

    Transpose(p) -> Transpose(q)  ==>  (nothing)      when q after p is the identity

Readers of the second Transpose read the first one's input; the first stays while something
else reads it. A graph output is never renamed, so a pair ending in one is kept.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.lower.transpose_rules import perm_of
from qnnflow.transforms.streamline.patterns import Matches, is_graph_output


class RemoveInverseTransposes(Transformation):
    """Cancel back-to-back inverse Transposes."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for second in model.graph.node:
            q = perm_of(second)
            first = model.find_producer(second.input[0]) if q else None
            p = perm_of(first) if first is not None else None
            if p is None or len(p) != len(q) or [p[i] for i in q] != list(range(len(p))):
                continue
            if not is_graph_output(model, second.output[0]):
                matches.add((second, first))
        for second, first in matches:
            for reader in model.find_consumers(second.output[0]):
                for i, name in enumerate(reader.input):
                    if name == second.output[0]:
                        reader.input[i] = first.input[0]
            model.graph.node.remove(second)
            if not model.find_consumers(first.output[0]) and not is_graph_output(
                model, first.output[0]
            ):
                model.graph.node.remove(first)
        return model, bool(matches)
