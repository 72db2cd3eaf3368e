"""Load any float model PTQ accepts into one torch.fx GraphModule (a FloatModel): a float
ONNX, a TorchScript file, a state dict + its model class, or a Darknet cfg (+ weights)."""

from __future__ import annotations

from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.quant.ptq.float_model import FloatModel

TORCHSCRIPT_SUFFIXES = (".ts", ".torchscript", ".jit")
TORCH_SUFFIXES = (".pt", ".pth", ".pth.tar", ".tar", ".ckpt", ".bin")
ACCEPTED = (
    "a float .onnx, a TorchScript file (.pt/.ts), a state dict (.pth/.pt with --model-def) "
    "or a Darknet .cfg"
)


def _load_onnx(path: Path, input_size: tuple[int, int] | None) -> FloatModel:
    from qnnflow.frontend.onnx_import import load_onnx
    from qnnflow.quant.ptq.from_onnx import graph_module_from_onnx

    module, shape, metadata = graph_module_from_onnx(load_onnx(path, input_size), path)
    return FloatModel(module, shape, path.stem, path, kind="onnx", metadata=metadata)


def name_darknet_layers(model: ModelWrapper) -> ModelWrapper:
    """The importer names a conv layer's last node `lNNN_conv` (its activation or BN) and the
    Conv itself `lNNN_conv_mac`; for PTQ the conv module is `lNNN_conv` (what a mixed-precision
    rule means by the layer) and the node after it `lNNN_conv_<op>` (e.g. `l000_conv_leakyrelu`)."""
    convs = {n.name.removesuffix("_mac") for n in model.graph.node if n.op_type == "Conv"}
    for node in model.graph.node:
        if node.op_type == "Conv" and node.name.endswith("_mac"):
            node.name = node.name.removesuffix("_mac")
        elif node.name in convs:
            node.name = f"{node.name}_{node.op_type.lower()}"
    return model


def _load_darknet(
    cfg: Path, weights: Path | None, input_size: tuple[int, int] | None
) -> FloatModel:
    """Through the project's Darknet importer (batch norm kept, float weights) to ONNX."""
    from qnnflow.frontend.darknet import import_darknet
    from qnnflow.quant.ptq.from_onnx import graph_module_from_onnx

    weights = weights if weights is not None else cfg.with_suffix(".weights")
    if not weights.is_file():
        raise QnnflowError(f"{cfg}: weights not found: {weights} (give --weights)")
    model = name_darknet_layers(import_darknet(cfg, weights, input_size))
    module, shape, metadata = graph_module_from_onnx(model, cfg)
    return FloatModel(module, shape, cfg.stem, cfg, kind="darknet", metadata=metadata)


def _load_torch(
    path: Path,
    model_def: str | None,
    input_size: tuple[int, int] | None,
    channels: int | None,
) -> FloatModel:
    from qnnflow.quant.ptq.torchscript import is_torchscript, load_torchscript

    if path.suffix in TORCHSCRIPT_SUFFIXES or is_torchscript(path):
        return load_torchscript(path, input_size, channels)
    if model_def is None:
        raise QnnflowError(
            f"{path}: a state dict holds weights only: pass the model class with --model-def "
            "package.module:Class (or path/to/model.py:Class)"
        )
    from qnnflow.quant.ptq.state_dict import load_state_dict_model

    return load_state_dict_model(path, model_def, input_size, channels)


def load_float_model(
    path: Path,
    *,
    weights: Path | None = None,
    model_def: str | None = None,
    input_size: tuple[int, int] | None = None,
    channels: int | None = None,
) -> FloatModel:
    """The float model at `path` as a FloatModel whose GraphModule Brevitas can quantize.

    ONNX and Darknet inputs know their input shape (`input_size` may fix a dynamic H x W);
    TorchScript and state dicts need `input_size` (a model whose first layer is an
    nn.Linear does not) and take the channels from their first Conv2d unless given. Every
    loader checks the GraphModule against the original (onnxruntime, or the torch model) on a
    random input. Anything else is one QnnflowError naming the file and the reason.

    Brevitas 0.13's graph passes match nodes of its own fx copy (brevitas.backport.fx): retrace
    the module first (`preprocess_for_quantize(module, trace_model=True)` or
    `brevitas.fx.symbolic_trace`); on a torch.fx graph MergeBatchNorm silently does nothing
    and quantize's residual handler never converges. Module names survive the retrace."""
    path = Path(path)
    if not path.is_file():
        raise QnnflowError(f"{path}: model file not found")
    name = path.name.lower()
    if name.endswith(".onnx"):
        return _load_onnx(path, input_size)
    if name.endswith(".cfg"):
        return _load_darknet(path, Path(weights) if weights is not None else None, input_size)
    if name.endswith(TORCHSCRIPT_SUFFIXES + TORCH_SUFFIXES):
        return _load_torch(path, model_def, input_size, channels)
    raise QnnflowError(f"{path}: unknown model format '{path.suffix}'; PTQ takes {ACCEPTED}")
