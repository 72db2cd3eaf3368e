"""The inputs every equivalence check of a build runs on: K seeded random inputs, the edges of
the input's range (zeros, its datatype's min and max; 1.0 for float inputs, drawn from
[0, 1)), and inputs placed exactly on the first quantizer's boundaries and just below them.

The boundaries are found where the graph input reaches its first quantizer (Quant,
BipolarQuant or MultiThreshold) through elementwise Mul/Div by positive and Add/Sub of
per-channel constants (a normalisation): the least input value at which each output code
starts, by bisection over float32 values evaluating those very nodes (least_float32), so
a tie of the quantizer's rounding is hit exactly; for an integer input the least integer
and the one below. A graph whose input first meets a Conv gets none (no input can be
placed on those thresholds alone)."""

from __future__ import annotations

import math

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.general.quant import max_int, min_int
from qonnx.custom_op.registry import getCustomOp

from qnnflow.transforms.streamline.least_float32 import LOWEST, least_accepted
from qnnflow.transforms.streamline.patterns import channel_vector, const_operand, sole_consumer
from qnnflow.util.execute import input_shape

Case = tuple[str, np.ndarray]
NUMPY_OPS = {"Mul": np.multiply, "Div": np.divide, "Add": np.add, "Sub": np.subtract}
ELEMENTWISE = tuple(NUMPY_OPS)
QUANTIZERS = ("Quant", "BipolarQuant", "MultiThreshold")
MAX_BOUNDARY_INPUTS = 4


def seeded_input(model: ModelWrapper, seed: int | list[int]) -> np.ndarray:
    """Random input in the input's datatype: [0, 1) floats or integers of its range."""
    rng = np.random.default_rng(seed)
    shape = input_shape(model)
    dtype = model.get_tensor_datatype(model.graph.input[0].name)
    if dtype is None or not dtype.is_integer():
        return rng.random(shape, dtype=np.float32)
    return rng.integers(dtype.min(), dtype.max() + 1, size=shape).astype(np.float32)


def _integer_range(model: ModelWrapper) -> tuple[float, float] | None:
    dtype = model.get_tensor_datatype(model.graph.input[0].name)
    if dtype is None or not dtype.is_integer():
        return None
    return float(dtype.min()), float(dtype.max())


def range_inputs(model: ModelWrapper) -> list[Case]:
    """Zeros and the ends of the input's range."""
    shape = input_shape(model)
    span = _integer_range(model)
    low, high = span if span is not None else (0.0, 1.0)
    cases = [("zeros", np.zeros(shape, np.float32))]
    for name, value in (("minimum", low), ("maximum", high)):
        if value != 0.0:
            cases.append((f"{name} {value:g}", np.full(shape, value, np.float32)))
    return cases


def _prefix(model: ModelWrapper):
    """(elementwise nodes, quantizer) from the graph input to its first quantizer, or None."""
    tensor, chain = model.graph.input[0].name, []
    while (node := sole_consumer(model, tensor)) is not None:
        if node.op_type in QUANTIZERS:
            return (chain, node) if node.input[0] == tensor else None
        operand = const_operand(model, node) if node.op_type in ELEMENTWISE else None
        if operand is None or (node.op_type in ("Sub", "Div") and operand[0] != 0):
            return None  # not elementwise with a constant, or c - x / c / x (order reversed)
        chain.append((node, operand[1]))
        tensor = node.output[0]
    return None


def _code_count(model: ModelWrapper, quantizer) -> int | None:
    if quantizer.op_type == "BipolarQuant":
        return 1
    if quantizer.op_type == "MultiThreshold":
        return int(model.get_initializer(quantizer.input[1]).shape[1])
    op = getCustomOp(quantizer)
    bits = model.get_initializer(quantizer.input[3])
    zeropt = model.get_initializer(quantizer.input[2])
    if bits is None or zeropt is None or bits.size != 1 or np.any(zeropt != 0):
        return None
    signed, narrow = op.get_nodeattr("signed"), op.get_nodeattr("narrow")
    if int(bits) == 1 and signed:
        return 1
    return int(max_int(signed, narrow, int(bits)) - min_int(signed, narrow, int(bits)))


def _codes(model: ModelWrapper, quantizer, x: np.ndarray) -> np.ndarray:
    """The quantizer's integer codes (0 .. n) for a (levels, C, 1, ...) input, by qonnx."""
    context = {name: model.get_initializer(name) for name in quantizer.input[1:] if name}
    context[quantizer.input[0]] = x
    getCustomOp(quantizer).execute_node(context, model.graph)
    out = np.asarray(context[quantizer.output[0]], dtype=np.float64)
    if quantizer.op_type == "MultiThreshold":
        op = getCustomOp(quantizer)
        return (out - op.get_nodeattr("out_bias")) / op.get_nodeattr("out_scale")
    scale = np.asarray(model.get_initializer(quantizer.input[1]), dtype=np.float64)
    return np.round(out / scale)


def boundary_values(model: ModelWrapper) -> list[np.ndarray] | None:
    """Per channel of the graph input, the input values on the first quantizer's code
    boundaries and just below each (sorted); None where no such quantizer is reachable."""
    found = _prefix(model)
    shape = input_shape(model)
    if found is None or len(shape) < 2:
        return None
    chain, quantizer = found
    count = _code_count(model, quantizer)
    if not count:
        return None
    consts = []
    for node, value in chain:
        c = channel_vector(value, shape)
        if c is None or (node.op_type in ("Mul", "Div") and np.any(c <= 0)):
            return None  # per-pixel constants, or a sign flip that reverses the order
        broadcast = (1, -1, *[1] * (len(shape) - 2))
        consts.append((node.op_type, c.astype(value.dtype).reshape(broadcast)))
    probe = (count, shape[1], *[1] * (len(shape) - 2))

    def codes(x: np.ndarray) -> np.ndarray:
        for op_type, c in consts:
            x = NUMPY_OPS[op_type](x, c)
        return _codes(model, quantizer, x.astype(np.float32))

    with np.errstate(all="ignore"):  # the bisection probes the whole float32 range
        low = codes(np.full(probe, LOWEST, np.float32)).min()
        levels = (low + 1 + np.arange(count)).reshape(-1, *[1] * (len(shape) - 1))
        starts = least_accepted(lambda x: codes(x) >= levels, probe)
    return _around(starts.reshape(count, shape[1]).T, _integer_range(model))


def _around(starts: np.ndarray, span: tuple[float, float] | None) -> list[np.ndarray]:
    """Each start and the value just below it, kept inside the input's range."""
    values = []
    for channel in starts:
        channel = channel[np.isfinite(channel) & (channel > LOWEST)]
        if span is None:
            both = np.concatenate([channel, np.nextafter(channel, np.float32(-np.inf))])
        else:
            first = np.ceil(channel.astype(np.float64)) + 0.0  # no -0
            both = np.concatenate([first, first - 1])
            both = both[(both >= span[0]) & (both <= span[1])]
        values.append(np.unique(both.astype(np.float32)))
    return values


def boundary_inputs(model: ModelWrapper) -> list[Case]:
    """Inputs whose elements cycle through each channel's boundary values (a few at most)."""
    per_channel = boundary_values(model)
    if not per_channel or max(v.size for v in per_channel) == 0:
        return []
    shape = input_shape(model)
    positions = math.prod(shape[2:])
    longest = max(v.size for v in per_channel)
    shared = all(np.array_equal(v, per_channel[0]) for v in per_channel)
    per_input = positions * (len(per_channel) if shared else 1)
    total = min(MAX_BOUNDARY_INPUTS, math.ceil(longest / per_input))
    cases = []
    for t in range(total):
        x = np.zeros(shape, np.float32)
        for c, values in enumerate(per_channel):
            if values.size:
                start = t * per_input + (c * positions if shared else 0)
                index = (start + np.arange(positions)) % values.size
                x[:, c] = values[index].reshape(shape[2:])
        cases.append((f"boundary input #{t} (first quantizer's thresholds)", x))
    return cases


def verification_inputs(model: ModelWrapper, seed: int, count: int = 1) -> list[Case]:
    """`count` random inputs (the first is seeded_input(seed)), the range edges and the
    boundary inputs, each with a label for messages."""
    cases = [(f"random input (seed {seed})", seeded_input(model, seed))]
    cases += [
        (f"random input (seed {seed}, #{k})", seeded_input(model, [seed, k]))
        for k in range(1, count)
    ]
    return cases + range_inputs(model) + boundary_inputs(model)
