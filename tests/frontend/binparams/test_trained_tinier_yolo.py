"""The trained Tinier-YOLO's hidden hardware layers reproduce the board's output
(verification.bin) from its input (input.bin): 0 mismatches of 86,528."""

from __future__ import annotations

import numpy as np
import pytest
from qonnx.core.onnx_exec import execute_onnx

from qnnflow.errors import QnnflowError
from qnnflow.frontend.binparams import load_binparams
from tests.tinier_golden import golden_input, golden_mismatches, hidden_layers


def test_hidden_layers_match_board_golden(tinier_yolo_dir):
    model = hidden_layers(tinier_yolo_dir)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("MatrixVectorUnit") == 7 and ops.count("StreamingMaxPool") == 5
    out = execute_onnx(model, {"codes": golden_input(tinier_yolo_dir)})[model.graph.output[0].name]
    assert golden_mismatches(out[0], tinier_yolo_dir) == (0, 86528)


def test_bad_archive_is_a_clear_error(tmp_path, tinier_yolo_dir):
    data = dict(np.load(tinier_yolo_dir / "tinier_yolo_w1a3.npz"))
    data["conv3_weight"] = data["conv3_weight"] * 0
    bad = tmp_path / "bad.npz"
    np.savez(bad, **data)
    with pytest.raises(QnnflowError, match="conv3_weight has values other than -1/\\+1"):
        load_binparams(bad)
    del data["conv3_weight"]
    np.savez(bad, **data)
    with pytest.raises(QnnflowError, match="missing array 'conv3_weight'"):
        load_binparams(bad)
    with pytest.raises(QnnflowError, match="cannot read parameter archive"):
        load_binparams(tmp_path / "absent.npz")
