"""The float-trained model the accuracy gate compares the quantized model with.

A QAT model's own latent weights run in float are not a baseline (binary latent weights
without their activation clips score near 0 mAP), so the gate needs the weights of the float
training run: `--float-reference` (Darknet .weights for the build's cfg, a .cfg with its
.weights beside it, or an .onnx), or `<model stem>-float.weights` / `-float.onnx` beside the
model, the way the default model carries them.
"""

from __future__ import annotations

from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError

FORMS = (".weights", ".cfg", ".onnx")


def beside_model(model: Path) -> Path | None:
    """`<stem>-float.weights` (for a .cfg) or `<stem>-float.onnx` next to the model, if any."""
    suffixes = (".weights", ".onnx") if model.suffix == ".cfg" else (".onnx",)
    for suffix in suffixes:
        candidate = model.with_name(f"{model.stem}-float{suffix}")
        if candidate.is_file():
            return candidate
    return None


def check_reference(reference: Path, model: Path) -> None:
    """Refuse, in one line, a float reference the gate could not load."""
    if reference.suffix not in FORMS:
        raise QnnflowError(
            f"--float-reference {reference}: expected Darknet .weights (for the build's cfg), "
            f"a .cfg with its .weights beside it, or an .onnx, got '{reference.suffix}'"
        )
    if not reference.is_file():
        raise QnnflowError(f"--float-reference not found: {reference}")
    if reference.suffix == ".weights" and model.suffix != ".cfg":
        raise QnnflowError(
            f"--float-reference {reference}: .weights need the build's model to be a Darknet "
            f".cfg (it is {model.name}); pass the float model as .cfg or .onnx"
        )
    if reference.suffix == ".cfg" and not reference.with_suffix(".weights").is_file():
        raise QnnflowError(
            f"--float-reference {reference}: weights not found beside it "
            f"({reference.with_suffix('.weights')})"
        )


def reference_files(reference: Path | None) -> list[Path]:
    """Every file whose contents decide the reference (for the build fingerprint)."""
    if reference is None:
        return []
    if reference.suffix == ".cfg":
        return [reference, reference.with_suffix(".weights")]
    return [reference]


def load_float_reference(
    reference: Path,
    model_cfg: Path,
    input_size: tuple[int, int] | None,
    fold_bn: bool,
) -> ModelWrapper:
    """The float reference as a tidy float graph, imported like the build's own model."""
    from qnnflow.transforms.tidy import TidyUp

    if reference.suffix == ".onnx":
        return ModelWrapper(str(reference)).transform(TidyUp())
    from qnnflow.frontend.darknet import import_darknet

    if reference.suffix == ".weights":
        cfg, weights = model_cfg, reference
    else:
        cfg, weights = reference, reference.with_suffix(".weights")
    return import_darknet(cfg, weights, input_size, fold_bn=fold_bn).transform(TidyUp())


def check_same_input(reference: ModelWrapper, quantized: ModelWrapper, where: Path) -> None:
    """Both models must see the same network input, or their mAPs are not comparable."""
    ref_shape = reference.get_tensor_shape(reference.graph.input[0].name)
    quant_shape = quantized.get_tensor_shape(quantized.graph.input[0].name)
    if list(ref_shape) != list(quant_shape):
        raise QnnflowError(
            f"--float-reference {where}: input shape {ref_shape} differs from the quantized "
            f"model's {quant_shape}; export the float model at the same input size"
        )
