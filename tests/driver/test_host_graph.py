"""The host parts of the project's detectors (before and after the hardware layers), run by
the numpy executor after a trip through the package files, against qonnx on the same nodes:
exact where the output is integer, 1e-5 relative where it is float."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.backends.deploy.host_export import host_graph, needed_nodes
from qnnflow.backends.hls.network import hardware_region, region_boundary
from qnnflow.driver.host_graph import HostGraph, HostNode, load_host_graphs, save_host_graphs
from qnnflow.errors import QnnflowError
from qnnflow.yolo import load_image, network_input


def _split(model):
    region_in, (region_out,) = region_boundary(model, hardware_region(model))
    before = needed_nodes(model, [region_in], [model.graph.input[0].name])
    after = needed_nodes(model, [o.name for o in model.graph.output], [region_out])
    return before, after, (region_in, region_out)


def _host_graphs(model, tmp_path):
    before, after, (region_in, region_out) = _split(model)
    graphs = {
        "prefix": host_graph(model, before, [model.graph.input[0].name], [region_in]),
        "suffix": host_graph(model, after, [region_out], [o.name for o in model.graph.output]),
    }
    save_host_graphs(graphs, tmp_path / "h.json", tmp_path / "h.npz")
    loaded = load_host_graphs(tmp_path / "h.json", tmp_path / "h.npz")
    return loaded["prefix"], loaded["suffix"], before, after


def _submodel(model, nodes, feed: str, outputs: list[str]) -> ModelWrapper:
    """The same nodes, initializers and shapes as a model of their own, for qonnx to run."""
    proto = onnx.ModelProto()
    proto.CopyFrom(model.model)
    del proto.graph.node[:]
    proto.graph.node.extend(nodes)
    sub = ModelWrapper(proto)
    info = {vi.name: vi for vi in [*model.graph.value_info, *model.graph.output]}
    del sub.graph.input[:]
    del sub.graph.output[:]
    sub.graph.input.append(info.get(feed) or model.graph.input[0])
    sub.graph.output.extend(info[o] for o in outputs)
    keep = [vi for vi in sub.graph.value_info if vi.name not in {feed, *outputs}]
    del sub.graph.value_info[:]
    sub.graph.value_info.extend(keep)
    return sub


def _check_prefix(model, prefix, before, x):
    inp = model.graph.input[0].name
    want = execute_onnx(_submodel(model, before, inp, list(prefix.outputs)), {inp: x})
    got = prefix.run({inp: x})
    name = prefix.outputs[0]
    _assert_codes_match(got[name], want[name])
    return got[name]


def _assert_codes_match(got: np.ndarray, want: np.ndarray) -> None:
    """Integer codes of a float host conv: numpy and onnxruntime sum float32 products in
    different orders, so a value within an ulp of a rounding tie may round the other way.
    Allow that for at most 1 code in 100,000, by exactly one step; anything else fails."""
    assert got.shape == want.shape
    assert np.isfinite(got).all() and np.isfinite(want).all()
    differ = got != want
    assert np.abs(got - want).max(initial=0) <= 1
    assert differ.sum() <= differ.size // 100_000, f"{differ.sum()} codes differ"


def _check_suffix(model, suffix, after, codes):
    name = suffix.inputs[0]
    want = execute_onnx(_submodel(model, after, name, list(suffix.outputs)), {name: codes})
    got = suffix.run({name: codes})
    for out in suffix.outputs:
        np.testing.assert_allclose(
            got[out], want[out], rtol=1e-5, atol=1e-5 * np.abs(want[out]).max()
        )


def test_default_model_host_parts(mini_folded, tmp_path):
    prefix, suffix, before, after = _host_graphs(mini_folded, tmp_path)
    assert [n.op for n in prefix.nodes] == ["UniformThreshold", "Transpose"]
    assert [n.op for n in suffix.nodes] == ["Transpose", "Mul", "Add"]  # the head: hardware
    x = np.random.default_rng(1).random((1, 3, 64, 64)).astype(np.float32)
    _check_prefix(mini_folded, prefix, before, x)
    out_shape = mini_folded.get_tensor_shape(suffix.inputs[0])
    acc = mini_folded.get_tensor_datatype(suffix.inputs[0])  # the head's accumulators
    assert acc.is_integer() and acc.signed()
    low, high = int(acc.min()), int(acc.max())
    codes = np.random.default_rng(2).integers(low, high + 1, out_shape).astype(np.float32)
    _check_suffix(mini_folded, suffix, after, codes)


@pytest.mark.parametrize("host_bits", [None, 8])
def test_trained_tinier_yolo_host_parts(tinier_yolo_dir, tmp_path, host_bits):
    from qnnflow.frontend.binparams import detector_model, load_binparams

    model = detector_model(load_binparams(tinier_yolo_dir / "tinier_yolo_w1a3.npz"), host_bits)
    prefix, suffix, before, after = _host_graphs(model, tmp_path)
    assert "Conv" in [n.op for n in prefix.nodes] and "Conv" in [n.op for n in suffix.nodes]
    if host_bits:
        assert "Quant" in [n.op for n in prefix.nodes]
    x = network_input(load_image(tinier_yolo_dir / "images" / "dog.jpg"), 416, 416)
    codes = _check_prefix(model, prefix, before, x)
    assert codes.shape == (1, 208, 208, 16) and codes.max() == 7
    rng = np.random.default_rng(3)
    hidden = rng.integers(0, 8, model.get_tensor_shape(suffix.inputs[0])).astype(np.float32)
    _check_suffix(model, suffix, after, hidden)


def test_graph_checks_name_the_node():
    node = HostNode("Relu", "r0", ("missing",), ("y",))
    with pytest.raises(QnnflowError, match=r"Relu 'r0': input\(s\) \['missing'\] are never set"):
        HostGraph(("x",), ("y",), (node,), {})
    with pytest.raises(QnnflowError, match="Einsum 'e0': not supported by the numpy host executor"):
        HostGraph(("x",), ("y",), (HostNode("Einsum", "e0", ("x",), ("y",)),), {})
    graph = HostGraph(("x",), ("y",), (HostNode("Relu", "r0", ("x",), ("y",)),), {})
    with pytest.raises(QnnflowError, match=r"needs input\(s\) \['x'\]"):
        graph.run({})
    conv = HostNode("Conv", "c0", ("x", "w"), ("y",), {"kernel_shape": [3, 3]})
    bad = HostGraph(("x",), ("y",), (conv,), {"w": np.zeros((2, 3, 3, 3), np.float32)})
    with pytest.raises(QnnflowError, match="Conv 'c0': input has 4 channels, weights expect 3"):
        bad.run({"x": np.zeros((1, 4, 5, 5), np.float32)})
