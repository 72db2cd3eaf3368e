"""Shared fixtures of the `qnnflow quantize` PTQ tests: the tiny nets in every input format,
calibration data, and a runner that returns the written QONNX and quant-info."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from click.testing import CliRunner
from PIL import Image
from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.commands.quantize import quantize_cmd
from tests.commands import ptq_nets

CLASSIFIERS = Path(__file__).parents[2] / "data" / "models" / "classifiers"


@dataclass(frozen=True)
class TinyFiles:
    folder: Path
    onnx: Path
    torchscript: Path
    state_dict: Path
    calib: Path  # 16 x 1 x 8 x 8 float32
    images: Path  # 5 RGB images of 12 x 10 in two class folders


def write_images(folder: Path, count: int, size: tuple[int, int], seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for i in range(count):
        sub = folder / f"class{i % 2}"
        sub.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(sub / f"{i}.png")
    return folder


def make_tiny_files(folder: Path) -> TinyFiles:
    model = ptq_nets.tiny_cnn()
    calib = folder / "calib.npy"
    x = np.random.default_rng(1).standard_normal((16, *ptq_nets.INPUT_SHAPE[1:]))
    np.save(calib, x.astype(np.float32))
    state_dict = folder / "tiny.pth"
    torch.save(model.state_dict(), state_dict)
    return TinyFiles(
        folder,
        ptq_nets.export_onnx(model, folder / "tiny.onnx"),
        ptq_nets.export_torchscript(model, folder / "tiny.pt"),
        state_dict,
        calib,
        write_images(folder / "images", 5, (12, 10)),
    )


@dataclass
class Run:
    exit_code: int
    output: str
    exception: BaseException | None
    path: Path

    @property
    def model(self) -> ModelWrapper:
        assert self.exit_code == 0, f"{self.output}\n{self.exception!r}"
        return ModelWrapper(str(self.path))

    @property
    def info(self) -> dict:
        assert self.exit_code == 0, f"{self.output}\n{self.exception!r}"
        return json.loads(self.path.with_suffix(".quant_info.json").read_text())


def run_quantize(args: list, out: Path) -> Run:
    """`qnnflow quantize ARGS -o OUT` in process."""
    result = CliRunner().invoke(quantize_cmd, [*map(str, args), "-o", str(out)])
    return Run(result.exit_code, result.output, result.exception, out)


def tiny_args(files: TinyFiles, *extra) -> list:
    """The tiny ONNX on its .npy calibration set (8 samples) plus `extra`."""
    return [files.onnx, "--calib-data", files.calib, "--max-samples", 8, *extra]
