"""Export a calibrated Brevitas model: QONNX (what the compiler reads) and QCDQ (onnxruntime).

Both go through Brevitas' exporters, then qonnx's cleanup, and are written atomically. The
bytes are deterministic: the dummy input is fixed and the graph carries no export timestamps.
The float model's metadata (a detector's head and net records) travels with both.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import torch
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.util.cleanup import cleanup_model

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.carry_metadata import carry_metadata
from qnnflow.util.atomic import atomic_write_bytes


def _dummy(input_shape: tuple[int, ...]) -> torch.Tensor:
    return torch.zeros(input_shape, dtype=torch.float32)


def _run_exporter(exporter, qmodule, input_shape, kind: str, **kwargs) -> ModelWrapper:
    frozen = copy.deepcopy(qmodule).cpu().eval()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        try:
            # no torch.no_grad(): under it Brevitas' weight-MSE search recurses into itself
            exporter(frozen, _dummy(tuple(input_shape)), export_path=str(raw), **kwargs)
            model = ModelWrapper(str(raw))
        except QnnflowError:
            raise
        except Exception as exc:  # noqa: BLE001 - exporter internals: one readable line
            line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise QnnflowError(f"{kind} export failed: {type(exc).__name__}: {line}") from exc
    return model


def export_qonnx(
    qmodule: torch.nn.Module,
    input_shape: tuple[int, ...],
    path: Path,
    metadata: dict[str, str] | None = None,
) -> ModelWrapper:
    """QONNX (Quant / BipolarQuant nodes) of the model at batch 1, cleaned up, at `path`,
    with the float model's `metadata` (see carry_metadata)."""
    from brevitas.export import export_qonnx as brevitas_export_qonnx

    model = _run_exporter(brevitas_export_qonnx, qmodule, input_shape, "QONNX", dynamo=False)
    model = carry_metadata(cleanup_model(model), metadata or {}, "QONNX")
    atomic_write_bytes(Path(path), model.model.SerializeToString())
    return model


def export_qcdq(
    qmodule: torch.nn.Module,
    input_shape: tuple[int, ...],
    path: Path,
    metadata: dict[str, str] | None = None,
) -> ModelWrapper:
    """Standard QuantizeLinear/DequantizeLinear ONNX of the model, which onnxruntime runs,
    with the float model's `metadata`."""
    from brevitas.export import export_onnx_qcdq

    _check_qcdq(qmodule)
    model = _run_exporter(export_onnx_qcdq, qmodule, input_shape, "QCDQ", dynamo=False)
    model = carry_metadata(model, metadata or {}, "QCDQ")
    atomic_write_bytes(Path(path), model.model.SerializeToString())
    return model


def _check_qcdq(qmodule: torch.nn.Module) -> None:
    """QCDQ has integer QuantizeLinear codes only: refuse 1-bit (bipolar) quantizers up front."""
    for name, module in qmodule.named_modules():
        for kind in ("weight_quant", "act_quant"):
            proxy = getattr(module, kind, None)
            if proxy is not None and proxy.is_quant_enabled and _bits(proxy) == 1:
                raise QnnflowError(
                    f"QCDQ export: '{name}' has a 1-bit (bipolar) {kind.split('_')[0]} quantizer, "
                    "which QuantizeLinear cannot express; use the QONNX output for 1-bit schemes"
                )


def _bits(proxy) -> int:
    injector = proxy.quant_injector
    return int(injector.bit_width) if "bit_width" in injector else 8
