"""The C++ simulation's streams are compared as they arrive, chunk by chunk and copy by copy:
a SlidingWindow in front of a stream_ddr MatrixVectorUnit replays its windows once per
channel group, and a fault in any copy (or in the compiled C++) is still found and named."""

from __future__ import annotations

import io

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.backends.hls import layer_records, network_sim
from qnnflow.backends.hls.layer_records import HEADER, RecordReader, pack_record
from qnnflow.backends.hls.network_sim import first_mismatch, normal_to_stream
from qnnflow.errors import QnnflowError
from qnnflow.frontend.binparams import hidden_layers_model
from qnnflow.ops.stream_order import output_frame_replays
from qnnflow.transforms.fold import ApplyFoldingConfig, InsertFIFOs, InsertWidthConverters
from tests.backends.hls.test_cppsim_gate import codes, fake_simulator, first_difference, flipped
from tests.transforms.fold.test_folding import small_params


@pytest.fixture(scope="module")
def replaying() -> ModelWrapper:
    """Two binary conv layers; conv2 streams its weights from DDR with PE=4 of 8 channels,
    so conv2_swg (and the FIFO behind it) send every window twice."""
    model = hidden_layers_model(small_params(channels=(4, 8, 8), size=8, seed=1))
    config = {"conv2_mvu": {"mem_mode": "stream_ddr", "PE": 4}}
    model = model.transform(ApplyFoldingConfig(config))
    return model.transform(InsertWidthConverters()).transform(InsertFIFOs())


def test_a_fault_in_the_last_replayed_copy_is_found(replaying, monkeypatch):
    node = replaying.get_node_from_name("conv2_swg")
    assert output_frame_replays(replaying, node) == 2
    x = codes(replaying)
    shape = replaying.get_tensor_shape(node.output[0])
    normal = execute_onnx(replaying, {replaying.graph.input[0].name: x}, True)[node.output[0]]
    pos = (0, 2, 1, 17)  # pixel (2, 1), element 17 of its 3x3x8 window
    corrupted = normal.reshape(shape).copy()
    corrupted[pos] += 1
    good = normal_to_stream(replaying, node, normal.reshape(shape))
    bad = normal_to_stream(replaying, node, corrupted)

    def second_copy_wrong(streams):
        half = good.size // 2
        streams["conv2_swg"] = np.concatenate([good[:half], bad[half:]])
        return streams

    monkeypatch.setattr(layer_records, "CHUNK_ELEMENTS", 7)  # chunks straddle the copies
    monkeypatch.setattr(
        network_sim, "start_simulation", fake_simulator(replaying, second_copy_wrong)
    )
    mismatch, _ = first_mismatch(replaying, x)
    assert (mismatch.layer, mismatch.op_type, mismatch.count) == ("conv2_swg", "SlidingWindow", 1)
    assert mismatch.index == pos
    assert (mismatch.expected, mismatch.actual) == (normal[pos], normal[pos] + 1)


def test_replayed_streams_from_cpp_are_bit_exact(replaying):
    mismatch, sim = first_mismatch(replaying, codes(replaying, seed=2))
    assert mismatch is None
    assert set(sim.cycles) == {n.name for n in replaying.graph.node}
    assert sim.output.shape == (1, *replaying.get_tensor_shape(replaying.graph.output[0].name)[1:])


def test_a_flipped_ddr_weight_in_cpp_is_found(replaying, monkeypatch):
    wrong = flipped(replaying, "conv2_W", (5, 0))
    real_code = network_sim.build_network_code
    monkeypatch.setattr(network_sim, "build_network_code", lambda _m, *a: real_code(wrong, *a))
    x = codes(replaying, seed=3)
    pos, want, got, count = first_difference(replaying, wrong, x, "conv2_mvu")
    mismatch, _ = first_mismatch(replaying, x)
    assert (mismatch.layer, mismatch.index, mismatch.count) == ("conv2_mvu", pos, count)
    assert (mismatch.expected, mismatch.actual) == (want, got)


def test_records_round_trip_in_narrow_types():
    values = np.array([-128, 0, 127], np.int8)
    data = pack_record(4, 0, values) + pack_record(5, 0, np.array([65535], np.uint16))
    reader = RecordReader(io.BytesIO(data))
    first = reader.next_header()
    assert (first.layer, first.frame, first.dtype, first.elements) == (4, 0, np.int8, 3)
    np.testing.assert_array_equal(np.concatenate([c.copy() for c in reader.chunks(first)]), values)
    second = reader.next_header()
    assert (second.layer, second.dtype) == (5, np.uint16)
    assert next(reader.chunks(second))[0] == 65535
    assert reader.next_header() is None


def test_a_cut_off_record_is_refused():
    data = pack_record(2, 0, np.arange(10, dtype=np.int16))
    reader = RecordReader(io.BytesIO(data[:-5]))
    header = reader.next_header()
    with pytest.raises(QnnflowError, match="layer 2 cut off after 7 of 10 elements"):
        reader.skip(header)
    with pytest.raises(QnnflowError, match="cut off inside a record header"):
        RecordReader(io.BytesIO(data[: HEADER.size - 1])).next_header()
    with pytest.raises(QnnflowError, match="out of step"):
        RecordReader(io.BytesIO(b"\0" * HEADER.size)).next_header()
