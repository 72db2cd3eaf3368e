"""Write a trained classifier as <name>.pth (state dict), <name>.onnx (float ONNX, input
1xCxHxW, opset 13, legacy exporter) and <name>.train.json (the training record plus the
dataset it came from and the files' sha256), each atomically."""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from pathlib import Path

import torch
from torch import nn

from qnnflow.classify.train import TrainedClassifier
from qnnflow.util.atomic import atomic_write_bytes, atomic_write_text

ONNX_OPSET = 13


def state_dict_bytes(model: nn.Module) -> bytes:
    """torch.save of the state dict into memory: the bytes do not depend on the file name."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getvalue()


def onnx_bytes(model: nn.Module, input_shape: tuple[int, ...]) -> bytes:
    """The float ONNX export (input `input`, output `logits`, static batch 1)."""
    model.eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        torch.onnx.export(
            model,
            (torch.zeros(input_shape),),
            str(path),
            input_names=["input"],
            output_names=["logits"],
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
        return path.read_bytes()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_classifier(
    trained: TrainedClassifier, out_dir: str | Path, name: str, dataset: dict | None = None
) -> dict:
    """Write the three files; returns the record as written (with `name`, `files`, `dataset`)."""
    out = Path(out_dir)
    height, width = trained.record["preprocessing"]["input_size"]
    channels = 1 if trained.record["preprocessing"]["channels"] == "gray" else 3
    weights = state_dict_bytes(trained.model)
    graph = onnx_bytes(trained.model, (1, channels, height, width))
    record = {"name": name, **trained.record}
    if dataset is not None:
        record["dataset"] = dataset
    record["files"] = {
        "weights": {"file": f"{name}.pth", "sha256": _sha256(weights), "bytes": len(weights)},
        "onnx": {"file": f"{name}.onnx", "sha256": _sha256(graph), "bytes": len(graph)},
    }
    atomic_write_bytes(out / f"{name}.pth", weights)
    atomic_write_bytes(out / f"{name}.onnx", graph)
    atomic_write_text(out / f"{name}.train.json", json.dumps(record, indent=2) + "\n")
    return record
