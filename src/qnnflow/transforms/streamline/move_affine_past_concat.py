"""Constant scales (or shifts) on every input of a Concat are moved behind it:

    Concat(Mul(a, c_a), Mul(b, c_b))  ==>  Mul(Concat(a, b), [c_a, c_b])
    Concat(Add(a, d_a), Add(b, d_b))  ==>  Add(Concat(a, b), [d_a, d_b])

Each c is a scalar or one value per channel along the concat axis. Equal scalars stay one
scalar (which can pass the next conv, MoveScalarMulPastConv); otherwise the constants are
broadcast per channel and concatenated (which the next thresholds absorb). Refused when an
input carries no such constant, carries a Mul where another carries an Add, varies over
space, is read by another node too (SplitForkedMul runs first), or appears twice.
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from qnnflow.transforms.streamline.patterns import (
    Matches,
    attr,
    channel_vector,
    const_operand,
    new_initializer,
    new_tensor,
    sole_consumer,
)


def _scaled_inputs(model: ModelWrapper, concat) -> tuple[str, list, list] | None:
    """(op type, [(producer, data input)], [per-channel constants]) when every input of
    `concat` is the sole-consumed output of one kind of constant Mul/Add; else None."""
    if len(set(concat.input)) != len(concat.input) or len(concat.input) < 2:
        return None
    kinds, producers, vectors = set(), [], []
    for tensor in concat.input:
        producer = model.find_producer(tensor)
        if producer is None or producer.op_type not in ("Mul", "Add"):
            return None
        operand = const_operand(model, producer)
        shape = model.get_tensor_shape(tensor)
        if operand is None or shape is None or sole_consumer(model, tensor) is not concat:
            return None
        vector = channel_vector(operand[1], shape, axis=attr(concat, "axis", 1))
        if vector is None:
            return None
        kinds.add(producer.op_type)
        producers.append((producer, producer.input[operand[0]]))
        vectors.append(vector)
    return (kinds.pop(), producers, vectors) if len(kinds) == 1 else None


def joined_constant(vectors: list[np.ndarray], rank: int, axis: int) -> np.ndarray:
    """One scalar when every channel has the same value, else the concatenated vector
    shaped to broadcast along `axis` of a rank-`rank` tensor."""
    joined = np.concatenate(vectors).astype(np.float32)
    if np.all(joined == joined[0]):
        return np.asarray(joined[0], dtype=np.float32)
    shape = [1] * rank
    shape[axis % rank] = joined.size
    return joined.reshape(shape)


class MoveAffinePastConcat(Transformation):
    """Replace the per-input Muls (or Adds) of a Concat by one behind it."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        matches = Matches()
        for node in model.graph.node:
            found = _scaled_inputs(model, node) if node.op_type == "Concat" else None
            if found is not None:
                op_type, producers, vectors = found
                matches.add((node, *(p for p, _ in producers)), op_type, producers, vectors)
        for item in matches:
            concat, op_type, producers, vectors = item[0], *item[-3:]
            self._rewrite(model, concat, op_type, producers, vectors)
        return model, bool(matches)

    def _rewrite(self, model, concat, op_type: str, producers: list, vectors: list) -> None:
        out = concat.output[0]
        shape = model.get_tensor_shape(out)
        axis = attr(concat, "axis", 1)
        name = concat.name or out
        constant = joined_constant(vectors, len(shape), axis)
        for i, (producer, data) in enumerate(producers):
            concat.input[i] = data
            model.graph.node.remove(producer)
        joined = new_tensor(model, shape, f"{name}_joined")
        concat.output[0] = joined
        suffix = "scale" if op_type == "Mul" else "shift"
        const = new_initializer(model, f"{name}_{suffix}", constant)
        node = helper.make_node(op_type, [joined, const], [out], name=f"{name}_{suffix}")
        model.graph.node.insert(list(model.graph.node).index(concat) + 1, node)
