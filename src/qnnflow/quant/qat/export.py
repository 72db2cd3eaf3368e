"""QONNX export of a QAT model (Brevitas' exporter, then qonnx cleanup), carrying the
importer's head and net metadata so `qnnflow detect` and the build read it like an import."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path

import torch
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.cleanup import cleanup_model

from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet.to_onnx import HEADS_KEY, NET_KEY, _head_info
from qnnflow.quant.qat.clips import clips_of
from qnnflow.quant.qat.model import DarknetQatNet
from qnnflow.util.atomic import atomic_write_bytes

QAT_KEY = "qnnflow.quant.qat"


def export_qat_qonnx(model: DarknetQatNet, path: str | Path) -> ModelWrapper:
    """Export `model` (eval mode, CPU) for batch 1 to QONNX at `path` and return it."""
    from brevitas.export import export_qonnx

    net = model.network
    frozen = copy.deepcopy(model).cpu().eval()
    x = torch.rand(1, net.net.channels, net.net.height, net.net.width, generator=None)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        try:
            export_qonnx(frozen, x, export_path=str(raw))
        except Exception as exc:  # noqa: BLE001 - exporter internals: one readable line
            raise QnnflowError(f"QONNX export failed: {type(exc).__name__}: {exc}") from exc
        exported = cleanup_model(ModelWrapper(str(raw))).transform(InferShapes())
    outputs = [o.name for o in exported.graph.output]
    if len(outputs) != len(model.heads):
        raise QnnflowError(f"export has {len(outputs)} outputs for {len(model.heads)} heads")
    heads = [_head_info(h, o) for h, o in zip(model.heads, outputs, strict=True)]
    exported.set_metadata_prop(HEADS_KEY, json.dumps(heads))
    exported.set_metadata_prop(
        NET_KEY,
        json.dumps(
            {
                "width": net.net.width,
                "height": net.net.height,
                "channels": net.net.channels,
                "cfg": net.path,
                "fold_bn": False,
                "binary_mode": "float",
            }
        ),
    )
    scheme = model.scheme
    exported.set_metadata_prop(
        QAT_KEY,
        json.dumps(
            {
                "scheme": scheme.name,
                "act_bits": scheme.act_bits,
                "first_last_bits": scheme.first_last_bits,
                "act_clips": clips_of(model),
            }
        ),
    )
    atomic_write_bytes(path, exported.model.SerializeToString())
    return exported
