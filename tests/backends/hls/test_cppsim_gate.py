"""The C++-simulation gate can be seen to fail: generated code with one flipped weight or
threshold makes the comparison with numpy fail and name the layer, pixel and channel. One
test compiles real C++ through the cppsim step; the others stand numpy in for the simulator
to check the comparison itself quickly (stream order, counts, the first mismatch)."""

from __future__ import annotations

import io
import json
from contextlib import contextmanager

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.backends.hls import network_sim
from qnnflow.backends.hls.layer_records import RecordReader, pack_record
from qnnflow.backends.hls.network import hardware_region
from qnnflow.backends.hls.network_sim import (
    LiveSimulation,
    NetworkSimResult,
    first_mismatch,
    normal_to_stream,
)
from qnnflow.errors import QnnflowError
from qnnflow.flow import BuildConfig
from qnnflow.flow.hls_steps import step_cppsim
from qnnflow.flow.verify_step import seeded_input
from qnnflow.frontend.binparams import hidden_layers_model
from qnnflow.transforms.fold import InsertFIFOs, InsertWidthConverters
from tests.transforms.fold.test_folding import small_params


def two_layers() -> ModelWrapper:
    """Two binary conv + threshold + max-pool layers on 8x8 codes, with plumbing."""
    model = hidden_layers_model(small_params(channels=(4, 8, 8), size=8, seed=1))
    return model.transform(InsertWidthConverters()).transform(InsertFIFOs())


def flipped(model: ModelWrapper, tensor: str, index: tuple[int, ...], value=None) -> ModelWrapper:
    """A copy with one element of initializer `tensor` negated (or set to `value`)."""
    copy = ModelWrapper(model.model.__deepcopy__())
    data = copy.get_initializer(tensor).copy()
    data[index] = -data[index] if value is None else value
    copy.set_initializer(tensor, data)
    return copy


def first_difference(model: ModelWrapper, wrong: ModelWrapper, x: np.ndarray, layer: str):
    """Where numpy's outputs of `layer` first differ between the two models (NHWC index)."""
    name = model.graph.input[0].name
    node = model.get_node_from_name(layer)
    want = execute_onnx(model, {name: x}, return_full_exec_context=True)[node.output[0]]
    got = execute_onnx(wrong, {name: x}, return_full_exec_context=True)[node.output[0]]
    differing = np.argwhere(want != got)
    assert differing.size, "the planted change must change the layer's output"
    pos = tuple(int(i) for i in differing[0])
    return pos, float(want[pos]), float(got[pos]), len(differing)


@pytest.fixture(scope="module")
def model() -> ModelWrapper:
    return two_layers()


def test_cppsim_step_fails_on_code_with_a_flipped_weight(model, tmp_path, monkeypatch):
    """C++ generated from a graph with one weight of conv2 negated: the step names conv2."""
    wrong = flipped(model, "conv2_W", (0, 0))
    real_code = network_sim.build_network_code
    monkeypatch.setattr(network_sim, "build_network_code", lambda _m, *a: real_code(wrong, *a))
    path = tmp_path / "two_layers.onnx"
    model.save(str(path))
    cfg = BuildConfig(model=path, output_root=tmp_path / "out")
    x = seeded_input(model, cfg.seed)
    pos, want, got, count = first_difference(model, wrong, x, "conv2_mvu")
    message = (
        f"C++ simulation differs from numpy: MatrixVectorUnit 'conv2_mvu': {count} mismatching "
        f"elements, first at {pos} (N, ..., C): expected {want:g}, C++ gave {got:g}"
    )
    with pytest.raises(QnnflowError) as caught:
        step_cppsim(model, cfg)
    assert str(caught.value) == message
    report = json.loads((cfg.output_dir / "cppsim" / "cppsim.json").read_text())
    assert report["bit_exact"] is False and report["first_mismatch"] in message


def fake_simulator(wrong: ModelWrapper, edit=lambda streams: streams):
    """A `start_simulation` whose 'C++' is numpy on `wrong`, each layer's stream (after
    `edit`) written as the simulator's records."""

    @contextmanager
    def start(model, net, region_input, cache_dir=None, fast=False):
        assert net.input_tensor == model.graph.input[0].name  # the whole graph is hardware
        context = execute_onnx(wrong, {net.input_tensor: region_input[0]}, True)
        region = hardware_region(model)
        streams = {
            node.name: normal_to_stream(
                model, node, context[node.output[0]].reshape(model.get_tensor_shape(node.output[0]))
            )
            for node in region
        }
        streams = edit(streams)
        records = b"".join(
            pack_record(i, 0, streams[node.name].astype(np.int64))
            for i, node in enumerate(region)
            if node.name in streams
        )
        live = LiveSimulation(RecordReader(io.BytesIO(records)))
        yield live
        output = context[model.graph.output[0].name]
        live.result = NetworkSimResult(output, {}, 0.0, {})

    return start


def codes(model: ModelWrapper, seed: int = 0) -> np.ndarray:
    shape = model.get_tensor_shape(model.graph.input[0].name)
    return np.random.default_rng(seed).integers(0, 8, size=shape).astype(np.float32)


def test_equal_streams_give_no_mismatch(model, monkeypatch):
    monkeypatch.setattr(network_sim, "start_simulation", fake_simulator(model))
    mismatch, _ = first_mismatch(model, codes(model))
    assert mismatch is None


@pytest.mark.parametrize("channel", [0, 5])
def test_a_flipped_threshold_names_the_first_layer_pixel_and_channel(model, monkeypatch, channel):
    """Channel `channel` of conv1 never fires (its first threshold is huge)."""
    wrong = flipped(model, "conv1_T", (channel, 0), value=1e6)
    monkeypatch.setattr(network_sim, "start_simulation", fake_simulator(wrong))
    x = codes(model)
    pos, want, got, count = first_difference(model, wrong, x, "conv1_mvu")
    mismatch, _ = first_mismatch(model, x)
    assert (mismatch.layer, mismatch.op_type) == ("conv1_mvu", "MatrixVectorUnit")
    assert mismatch.index == pos and pos[-1] == channel
    assert (mismatch.expected, mismatch.actual, mismatch.count) == (want, got, count)
    assert f"first at {pos} (N, ..., C)" in str(mismatch)


def test_a_stream_of_the_wrong_length_is_refused(model, monkeypatch):
    def short(streams):
        streams["conv2_pool"] = streams["conv2_pool"][:-1]
        return streams

    monkeypatch.setattr(network_sim, "start_simulation", fake_simulator(model, short))
    with pytest.raises(QnnflowError, match=r"'conv2_pool': C\+\+ wrote 127 elements, expected 128"):
        first_mismatch(model, codes(model))


def test_a_layer_without_a_stream_is_refused(model, monkeypatch):
    def missing(streams):
        del streams["conv1_mvu"]
        return streams

    monkeypatch.setattr(network_sim, "start_simulation", fake_simulator(model, missing))
    with pytest.raises(QnnflowError, match="'conv1_mvu': the C\\+\\+ simulation wrote no stream"):
        first_mismatch(model, codes(model))
