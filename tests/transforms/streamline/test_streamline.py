"""Streamline on Brevitas-exported W1A3 / W2A2 / W4A4 / W1A1 CNNs: the graph becomes
integer-only and the integer codes between layers equal the QONNX graph's, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.transforms.streamline import Streamline, _name_unnamed_nodes
from tests.brevitas_models import SPECS, random_pixels
from tests.transforms.streamline.graphs import Chain, check, floats, op_types

HIDDEN_WEIGHTS = {"w1a3": "BIPOLAR", "w2a2": "INT2", "w4a4": "INT4", "w1a1": "BIPOLAR"}
FIRST_WEIGHTS = {"w1a1": "BIPOLAR"}  # the others' first conv has 8-bit weights


@pytest.fixture(scope="module")
def streamlined(brevitas_qonnx):
    """name -> (exported QONNX model, streamlined with a UINT8 pixel input)."""
    cache = {}

    def get(name: str):
        if name not in cache:
            model = brevitas_qonnx(name)
            cache[name] = (model, model.transform(Streamline(input_datatype="UINT8")))
        return cache[name]

    return get


def _run(model, x):
    return execute_onnx(model, {model.graph.input[0].name: x}, return_full_exec_context=True)


def _activation_quants(model):
    return [
        n
        for n in model.graph.node
        if n.op_type in ("Quant", "BipolarQuant") and model.get_initializer(n.input[0]) is None
    ]


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("seed", [1, 2])
def test_codes_between_layers_are_bit_exact(streamlined, name, seed):
    original, integer = streamlined(name)
    size = SPECS[name].size
    x = random_pixels((1, 3, size, size), seed)
    ref, new = _run(original, x), _run(integer, x)
    quants = _activation_quants(original)
    assert len(quants) == len(SPECS[name].channels)  # the input quantizer and one per conv
    for quant in quants:
        codes = ref[quant.output[0]] / original.get_initializer(quant.input[1])
        assert np.max(np.abs(codes - np.round(codes))) < 1e-3
        mt = next(n for n in integer.graph.node if n.name == f"{quant.name}_multithreshold")
        assert np.array_equal(new[mt.output[0]], np.round(codes)), quant.name
    out_ref, out_new = original.graph.output[0].name, integer.graph.output[0].name
    assert np.array_equal(new[out_new], ref[out_ref])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_graph_is_integer_only(streamlined, name):
    _, model = streamlined(name)
    nodes = list(model.graph.node)
    assert {n.op_type for n in nodes} <= {"MultiThreshold", "Conv", "MaxPool", "Pad", "Mul"}
    muls = [n for n in nodes if n.op_type == "Mul"]  # the output scale (none when it is 1)
    assert len(muls) <= 1 and all(m.output[0] == model.graph.output[0].name for m in muls)
    for node in nodes:
        if node.op_type == "MultiThreshold":
            t = model.get_initializer(node.input[1])
            assert np.array_equal(t, np.round(t)), node.name
            assert model.get_tensor_datatype(node.input[0]).is_integer()
            assert model.get_tensor_datatype(node.input[1]).is_integer()
        if node.op_type == "Conv":
            w = model.get_initializer(node.input[1])
            dtype = model.get_tensor_datatype(node.input[1])
            assert (
                np.array_equal(w, np.round(w)) and dtype.allowed(w.min()) and dtype.allowed(w.max())
            )
    conv_dtypes = [model.get_tensor_datatype(n.input[1]).name for n in nodes if n.op_type == "Conv"]
    first = FIRST_WEIGHTS.get(name, "INT8")
    assert conv_dtypes == [first] + [HIDDEN_WEIGHTS[name]] * (len(conv_dtypes) - 1)


def test_streamline_is_a_fixed_point(streamlined):
    _, model = streamlined("w1a3")
    again = model.transform(Streamline(input_datatype="UINT8"))
    assert again.model.SerializeToString() == model.model.SerializeToString()


def test_negative_batchnorm_gamma_negates_the_channel_weights(streamlined):
    original, integer = streamlined("w1a3")
    conv = next(n for n in original.graph.node if n.name == "Conv_1")
    bn = original.find_consumer(conv.output[0])
    gamma = original.get_initializer(bn.input[1])
    assert gamma[0] < 0 and np.all(gamma[1:] > 0)
    w_float = original.get_initializer(original.find_producer(conv.input[1]).input[0])
    expected = np.where(w_float >= 0, 1.0, -1.0)
    w_int = integer.get_initializer(
        next(n for n in integer.graph.node if n.name == "Conv_1").input[1]
    )
    assert np.array_equal(w_int[0], -expected[0]) and np.array_equal(w_int[1:], expected[1:])


def test_float_input_keeps_only_the_first_thresholds_float(streamlined, brevitas_qonnx):
    original = brevitas_qonnx("w4a4")
    model = original.transform(Streamline())
    mts = [n for n in model.graph.node if n.op_type == "MultiThreshold"]
    first = model.get_initializer(mts[0].input[1])
    assert not np.array_equal(first, np.round(first))
    for mt in mts[1:]:
        t = model.get_initializer(mt.input[1])
        assert np.array_equal(t, np.round(t))
    x = random_pixels((1, 3, 12, 12), 3)
    out = _run(model, x)[model.graph.output[0].name]
    assert np.array_equal(out, _run(original, x)[original.graph.output[0].name])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_streamlined_graph_matches_the_torch_forward(streamlined, name):
    import torch

    from tests.brevitas_models import build

    _, model = streamlined(name)
    size = SPECS[name].size
    x = random_pixels((2, 3, size, size), 4)
    with torch.no_grad():
        expected = build(SPECS[name]).eval()(torch.from_numpy(x)).numpy()
    for i in range(2):
        out = _run(model, x[i : i + 1])[model.graph.output[0].name]
        assert np.array_equal(out, expected[i : i + 1])


def test_a_float_head_keeps_its_scale_and_bias():
    chain = Chain([1, 3, 6, 6]).op(
        "Quant", np.float32(1 / 32), 0.0, 8.0, qonnx=True, signed=0, narrow=0
    )
    params = (np.float32(0.125), 0.0, 4.0)
    wq = chain.weight_quant("Quant", floats([4, 3, 3, 3], 1), *params, signed=1, narrow=1)
    chain.op("Conv", wq, np.array([0.5, -1, 2, 0.25], np.float32), kernel_shape=[3, 3])
    model = chain.model([1, 4, 4, 4])
    x = np.random.default_rng(2).uniform(0, 8, (1, 3, 6, 6))
    after = check(model, Streamline(input_datatype=None), x, rtol=1e-6)
    assert op_types(after) == ["MultiThreshold", "Conv", "Mul", "Add"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("model_seed", [1, 2, 3])
def test_more_random_nets_and_inputs_are_bit_exact(brevitas_qonnx, name, model_seed):
    original = brevitas_qonnx(name, model_seed)
    integer = original.transform(Streamline(input_datatype="UINT8"))
    size = SPECS[name].size
    for seed in range(10):
        x = random_pixels((1, 3, size, size), 1000 + seed)
        ref = _run(original, x)[original.graph.output[0].name]
        assert np.array_equal(_run(integer, x)[integer.graph.output[0].name], ref)


def test_the_observer_sees_each_changing_step_by_name_and_sweep():
    """Two scales collapse and the unit scale goes: the observer hears of exactly the steps
    that changed the graph, labelled with their sweep, and sees the graph as it was then;
    with_observer keeps the input type and the sweep limit."""
    chain = Chain([1, 2, 3, 3]).op("Relu").op("Mul", np.float32(0.5))
    chain.op("Mul", np.float32(2.0)).op("Neg")
    seen = []

    def observe(label, model):
        seen.append((label, op_types(model)))

    streamline = Streamline(input_datatype="UINT4", max_sweeps=7)
    observed = streamline.with_observer(observe)
    assert (observed.input_datatype, observed.max_sweeps) == ("UINT4", 7)
    assert observed.observer is observe and streamline.observer is None
    after = chain.model([1, 2, 3, 3]).transform(observed)
    assert op_types(after) == ["Relu", "Neg"]
    labels = [label for label, _ in seen]
    assert labels[:2] == ["CollapseRepeatedMul (sweep 1)", "RemoveIdentityOps (sweep 1)"]
    assert seen[0][1] == ["Relu", "Mul", "Neg"] and seen[1][1] == ["Relu", "Neg"]
    assert all(label.endswith("(sweep 1)") for label in labels)
    assert after.get_tensor_datatype("x").name == "UINT4"


def test_unnamed_nodes_get_unique_names_from_their_op_and_output():
    model = Chain([1, 2, 3, 3]).op("Relu").op("Neg").model([1, 2, 3, 3])
    relu, neg = model.graph.node
    relu.name, neg.name = "", f"Neg_{neg.output[0]}_0"
    neg.name = f"Relu_{relu.output[0]}_0"  # taken: the Relu gets _1
    _name_unnamed_nodes(model)
    assert relu.name == f"Relu_{relu.output[0]}_1"
    other = Chain([1, 2]).op("Relu").model([1, 2])
    other.graph.node[0].name = ""
    _name_unnamed_nodes(other)
    assert other.graph.node[0].name == f"Relu_{other.graph.node[0].output[0]}_0"
