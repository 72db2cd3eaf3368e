"""The end-to-end model: one factor scales host times to the board, the slowest stage sets
the rate, the DMA stage is bytes over the port's bandwidth, and the reference conv is the
convolution it claims to be. No assertion depends on how fast this machine is."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from qnnflow.analysis.cpu_reference import (
    CONV0,
    CONV0_MACS,
    board_factor,
    conv0_board_ms,
    host_cores,
    median_ms,
    reference_conv0,
)
from qnnflow.analysis.end_to_end import (
    EndToEnd,
    Stage,
    dma_stage,
    host_stages,
    hp_port_mb_s,
    pipeline_fps,
)
from qnnflow.analysis.end_to_end_table import end_to_end_line, end_to_end_markdown
from qnnflow.analysis.host_stages import HostTimes
from qnnflow.boards import load_board
from qnnflow.driver.formats import StreamFormat
from qnnflow.errors import QnnflowError
from qnnflow.resources import boards_dir


def _fmt(tensor: str, shape: tuple[int, ...], bits: int, per_word: int) -> StreamFormat:
    elements = int(np.prod(shape))
    words = elements // per_word
    return StreamFormat(tensor, shape, f"UINT{bits}", per_word, bits, False, words)


def _host(pre: dict, post: dict) -> HostTimes:
    fin, fout = _fmt("in", (1, 4, 4, 3), 8, 3), _fmt("out", (1, 2, 2, 16), 3, 16)
    return HostTimes(pre, post, fin, (fout,))


def board_with(tmp_path, **ps):
    """The PYNQ-Z2's board.yaml with `ps` entries replaced (None removes one)."""
    data = yaml.safe_load((boards_dir() / "pynq_z2" / "board.yaml").read_text())
    for key, value in ps.items():
        if value is None:
            data["ps"].pop(key)
        else:
            data["ps"][key] = value
    path = tmp_path / "board.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_board(str(path))


def test_factor_scales_every_host_part_by_board_over_here():
    factor = board_factor(261.0, 20.0)
    assert factor == pytest.approx(13.05)
    (host,) = host_stages(_host({"letterbox": 2.0, "pack": 1.0}, {"decode + NMS": 4.0}), factor, 2)
    assert (host.name, host.runs_on) == ("host", "ARM, 2 worker processes")
    # worker processes: 2 frames at once, so a frame costs (pre + post) / cores
    assert host.here_ms == pytest.approx(7.0 / 2)
    assert host.board_ms == pytest.approx(7.0 * 13.05 / 2)
    assert host.parts == pytest.approx({"letterbox": 26.1, "pack": 13.05, "decode + NMS": 52.2})
    assert host.note.startswith("parts per frame on one core; 2 frame(s) at once")


def test_one_core_runs_pre_and_post_one_after_the_other():
    (only,) = host_stages(_host({"pack": 1.0}, {"unpack": 2.0}), 10.0, 1)
    assert only.name == "host" and only.runs_on == "ARM" and only.board_ms == pytest.approx(30.0)
    assert list(only.parts) == ["pack", "unpack"]


@pytest.mark.parametrize(("board_ms", "here_ms"), [(0.0, 1.0), (261.0, 0.0), (float("nan"), 1.0)])
def test_factor_refuses_non_positive_times(board_ms, here_ms):
    with pytest.raises(QnnflowError, match="conv0 time"):
        board_factor(board_ms, here_ms)


def test_board_data_holds_the_reference_and_the_cores(tmp_path):
    board = load_board("pynq_z2")
    assert conv0_board_ms(board) == 261.0 and host_cores(board) == 2
    with pytest.raises(QnnflowError, match="no ps.numpy_conv0_ms"):
        conv0_board_ms(board_with(tmp_path, numpy_conv0_ms=None))
    with pytest.raises(QnnflowError, match="numpy_conv0_ms must be a positive finite number"):
        conv0_board_ms(board_with(tmp_path, numpy_conv0_ms="fast"))
    with pytest.raises(QnnflowError, match="ps.cores must be a positive integer"):
        host_cores(board_with(tmp_path, cores=0))


def test_the_slowest_stage_sets_the_rate():
    assert pipeline_fps([5.0, 20.0, 10.0]) == pytest.approx(50.0)
    assert pipeline_fps([0.0, 0.0]) == float("inf")
    with pytest.raises(QnnflowError, match="stage times"):
        pipeline_fps([])
    stages = (Stage("host pre", "ARM core 0", 12.5), Stage("accelerator", "PL", 4.0))
    result = EndToEnd(stages, factor=10.0, conv0_here_ms=26.1, conv0_board_ms=261.0)
    assert result.slowest.name == "host pre" and result.fps == pytest.approx(80.0)
    data = result.to_dict()
    assert data["slowest_stage"] == "host pre" and data["fps"] == pytest.approx(80.0)
    assert "80.0 fps, set by host pre (12.5 ms" in end_to_end_line(data)
    table = end_to_end_markdown(data)
    assert "| host pre | ARM core 0 | - | 12.5 |" in table
    assert "| accelerator | PL | - | 4.0 |" in table


def test_dma_stage_is_the_frame_bytes_over_the_port_and_ddr_bandwidth():
    board = load_board("pynq_z2")
    port = hp_port_mb_s(board)
    assert port == 64 / 8 * board.clock_mhz  # 800 MB/s: HP0's 64 bits at the PL clock
    host = _host({}, {})
    in_bytes, out_bytes = host.input.frame_bytes, host.out_frame_bytes
    assert (in_bytes, out_bytes) == (48, 4 * 6)  # 3 x 8 bit per pixel; 16 x 3 bit -> 6 bytes
    expected_us = max(in_bytes / port, (in_bytes + out_bytes) / board.ddr_bandwidth_mb_s)
    assert dma_stage(host, board).board_ms == pytest.approx(expected_us / 1e3)


def test_reference_conv0_is_qnn_mos_strided_convolution():
    rng = np.random.default_rng(3)
    image = rng.random((1, 9, 9, 3), dtype=np.float32)  # NHWC, as QNN-MO passes it
    weights = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    padded = np.pad(image[0].transpose(2, 0, 1).astype(np.float64), ((0, 0), (1, 1), (1, 1)))
    direct = np.zeros((4, 5, 5))
    for f in range(4):
        for y in range(5):
            for x in range(5):
                window = padded[:, 2 * y : 2 * y + 3, 2 * x : 2 * x + 3]
                direct[f, y, x] = np.sum(window * weights[f]) + bias[f]
    out = reference_conv0(image, weights, bias)
    assert out.dtype == np.float32 and out.shape == (4, 5, 5)
    np.testing.assert_allclose(out, direct, rtol=1e-5, atol=1e-5)
    size, k, stride = CONV0["size"], CONV0["kernel"], CONV0["stride"]
    out_size = (size + 2 * CONV0["pad"] - k) // stride + 1
    assert out_size == 208  # Tinier-YOLO's conv0: 416 -> 208
    assert CONV0_MACS == out_size**2 * CONV0["out_channels"] * CONV0["in_channels"] * k * k


def test_median_ms_calls_the_work_once_more_than_it_times():
    calls = []
    assert median_ms(lambda: calls.append(1), 3) >= 0
    assert len(calls) == 4
    with pytest.raises(QnnflowError, match="at least one repeat"):
        median_ms(lambda: None, 0)
