"""The trained Tinier-YOLO's board golden (../shared/data/tinier-yolo, found by the
`tinier_yolo_dir` fixture): its hidden layers folded for the PYNQ-Z2 as the golden tests
fold them (conv6/conv7 streaming weights from DDR), input.bin as the hidden layers' input
and the mismatch count of an output against verification.bin. Both files hold the hardware
frame, which is the network's transposed: H and W swap on the way in and out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.boards import load_board
from qnnflow.frontend.binparams import hidden_layers_model, load_binparams
from qnnflow.packing import read_packed_frame
from qnnflow.transforms.fold import AutoFold, InsertFIFOs, InsertWidthConverters

GOLDEN_ELEMENTS = 13 * 13 * 512  # 86,528


def hidden_layers(data: Path) -> ModelWrapper:
    """The archive's hidden layers as hardware ops, unfolded."""
    return hidden_layers_model(load_binparams(data / "tinier_yolo_w1a3.npz"))


def folded_hidden_layers(data: Path) -> ModelWrapper:
    model = hidden_layers(data)
    for transform in (AutoFold(load_board("pynq_z2")), InsertWidthConverters(), InsertFIFOs()):
        model = model.transform(transform)
    return model


def golden_input(data: Path) -> np.ndarray:
    """input.bin as one [1, 208, 208, 16] float32 frame of 3-bit codes."""
    codes = read_packed_frame(data / "input.bin", 208, 208, 16, 3)
    return codes.transpose(1, 0, 2)[None].astype(np.float32)


def golden_mismatches(frame: np.ndarray, data: Path) -> tuple[int, int]:
    """(elements of one [13, 13, 512] output frame differing from verification.bin, size)."""
    golden = read_packed_frame(data / "verification.bin", 13, 13, 512, 3)
    return int(np.count_nonzero(frame.transpose(1, 0, 2) != golden)), golden.size
