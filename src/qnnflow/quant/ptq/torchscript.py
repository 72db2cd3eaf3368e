"""TorchScript -> FloatModel. torch.fx cannot trace a ScriptModule, so the model goes out
through torch's (TorchScript-based) ONNX exporter into a temporary file and comes back
through the ONNX converter; the result is checked against the ScriptModule itself."""

from __future__ import annotations

import tempfile
import warnings
import zipfile
from pathlib import Path

import torch

from qnnflow.errors import QnnflowError
from qnnflow.frontend.onnx_import import load_onnx
from qnnflow.frontend.onnx_import.read import first_line
from qnnflow.quant.ptq.float_model import FloatModel
from qnnflow.quant.ptq.from_onnx import graph_module_from_onnx
from qnnflow.quant.ptq.torch_input import as_arrays, check_same_outputs, input_shape, run_once

EXPORT_OPSET = 17


def is_torchscript(path: Path) -> bool:
    """A TorchScript archive is a zip holding the model's code (`<name>/code/...`), which a
    torch.save state dict or pickled module never has."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any("/code/" in name for name in archive.namelist())


def load_torchscript(
    path: Path, input_size: tuple[int, int] | None, channels: int | None
) -> FloatModel:
    try:
        script = torch.jit.load(str(path), map_location="cpu").eval()
    except Exception as exc:  # noqa: BLE001 - any load failure means a bad file
        raise QnnflowError(
            f"{path}: not a loadable TorchScript file: {type(exc).__name__}: {first_line(exc)}"
        ) from None
    shape = input_shape(script, input_size, channels, path)
    run_once(script, shape, path)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    with tempfile.TemporaryDirectory(prefix="qnnflow_ts_") as tmp:
        onnx_path = Path(tmp) / f"{path.stem}.onnx"
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    script,
                    (x,),
                    str(onnx_path),
                    dynamo=False,
                    opset_version=EXPORT_OPSET,
                    input_names=["input"],
                )
        except Exception as exc:  # noqa: BLE001 - the exporter's refusal is about this model
            raise QnnflowError(
                f"{path}: torch cannot export this TorchScript model to ONNX: "
                f"{type(exc).__name__}: {first_line(exc)}"
            ) from None
        module, shape, metadata = graph_module_from_onnx(load_onnx(onnx_path), path)
    with torch.no_grad():
        check_same_outputs(as_arrays(script(x)), module(x), path)
    return FloatModel(module, shape, path.stem, path, kind="torchscript", metadata=metadata)
