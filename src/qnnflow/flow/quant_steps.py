"""Build steps from a float graph to hardware layers: quantize (W1A3 with calibration),
streamline (integer thresholds), to_hw (hardware ops). Each later step is checked against the
model before it on the build's verification inputs."""

from __future__ import annotations

import json

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_datatypes import InferDataTypes

from qnnflow.analysis.host_nodes import TO_HW_FILE, host_report
from qnnflow.errors import QnnflowError
from qnnflow.flow.config import BuildConfig, build_decoder
from qnnflow.frontend.darknet import layer_outputs
from qnnflow.transforms.streamline import Streamline
from qnnflow.transforms.to_hw import ConvertToHW
from qnnflow.util.atomic import atomic_write_text
from qnnflow.util.execute import max_relative_error, run_qonnx
from qnnflow.verify.group import Checks, apply_checked

QUANT_OPS = {"Quant", "BipolarQuant", "MultiThreshold"}
FLOAT_TOLERANCE = 1e-5  # the host head computes in float32 in a different order


def is_quantized(model: ModelWrapper) -> bool:
    """Quantizer nodes (QONNX Quant/BipolarQuant, MultiThreshold) or hardware ops present."""
    return any(n.op_type in QUANT_OPS or n.domain == "qnnflow.ops" for n in model.graph.node)


def needs_quantization(model: ModelWrapper, scheme: str | None = None) -> bool:
    """A float Darknet graph W1A3 quantizes, not yet quantized: one with binary=1 layers, or
    any Darknet graph when the scheme is asked for (--scheme w1a3)."""
    records = layer_outputs(model)
    wanted = any(r.get("binary") for r in records) or (scheme == "w1a3" and bool(records))
    return wanted and not is_quantized(model)


def float_model_advice(model: ModelWrapper) -> str:
    """Why a float model without quantizers cannot go on, and what the user can do today."""
    if layer_outputs(model):  # a Darknet import: the W1A3 quantizer needs binary=1 convs
        return (
            "a float Darknet model with no binary=1 layers: pass --scheme w1a3 (or mark its "
            "hidden [convolutional] sections binary=1) for the W1A3 quantizer (binary hidden "
            "weights, 3-bit activations calibrated on --calib-dir), or quantize it first with "
            "`qnnflow quantize MODEL --scheme int8|wNaM -o q.onnx` and build q.onnx"
        )
    return (
        "a float model with no quantizers (no Quant, BipolarQuant or MultiThreshold nodes) "
        "cannot become integer hardware; the build's W1A3 quantizer takes only Darknet cfgs "
        "with binary=1 convs, so quantize it with Brevitas (a quantized input, then "
        "QuantConv2d(bias=False) -> BatchNorm2d -> QuantReLU blocks compile today) and build "
        "the QONNX that brevitas.export.export_qonnx writes; the general quantizer for float "
        "models (issue 12) does not exist yet (--to-step verify checks the float import alone)"
    )


def quantize_model(model: ModelWrapper, cfg: BuildConfig) -> tuple[ModelWrapper, dict]:
    """W1A3-quantize `model` on cfg's calibration images; returns the QONNX model and its
    report (shared by step_quantize and `qnnflow quantize`)."""
    from qnnflow.quant.calib_images import load_calibration_batch
    from qnnflow.quant.w1a3 import QUANT_REPORT_KEY, quantize_w1a3

    if cfg.calib_dir is None or not cfg.calib_dir.is_dir():
        raise QnnflowError(
            f"calibration images not found at {cfg.calib_dir}: pass --calib-dir "
            "with 20-50 images like the deployment data"
        )
    _, _, height, width = (int(d) for d in model.get_tensor_shape(model.graph.input[0].name))
    decoder = build_decoder(cfg, model)
    batch = load_calibration_batch(cfg.calib_dir, width, height, cfg.calib_samples, decoder)
    quantized = quantize_w1a3(
        model,
        batch,
        cfg.calib_method,
        cfg.calib_percentile,
        first_last_bits=cfg.first_last_bits,
    ).transform(InferDataTypes())
    x = batch[0]
    float_out, quant_out = run_qonnx(model, x), run_qonnx(quantized, x)
    drift = {
        name: max_relative_error(quant_out[name], ref)
        for name, ref in float_out.items()
        if name in quant_out
    }
    report = {
        "calibration_images": len(batch),
        "method": cfg.calib_method,
        "decoder": decoder,
        "output_relative_change_on_first_image": drift,
        "tensors": json.loads(quantized.get_metadata_prop(QUANT_REPORT_KEY)),
    }
    return quantized, report


def step_quantize(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Quantize: W1A3 (binary=1 convs, or every hidden conv with --scheme w1a3; 3-bit
    activations) calibrated on --calib-dir
    (default: `<model>-calib/` beside a Darknet cfg); a QONNX model passes as it is, a float
    model without binary=1 layers stops here with what to do instead."""
    assert model is not None
    if is_quantized(model):
        return model
    if not needs_quantization(model, cfg.scheme):
        raise QnnflowError(f"{cfg.model}: {float_model_advice(model)}")
    quantized, report = quantize_model(model, cfg)
    atomic_write_text(cfg.output_dir / "quantize.json", json.dumps(report, indent=2))
    return quantized


def _verified(model: ModelWrapper, transform, cfg: BuildConfig) -> ModelWrapper:
    """model.transform(transform), checked as --verify says on the build's verification
    inputs (--seed, --verify-inputs, range edges, first-quantizer boundaries)."""
    checks = Checks(cfg.verify, cfg.seed, cfg.verify_inputs, FLOAT_TOLERANCE)
    return apply_checked(model, [transform], checks)


def step_streamline(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Streamline: quantizers become integer weights and thresholds; scales, batch norm and
    binary gains fold into the thresholds (checked equal on the seeded input)."""
    assert model is not None
    return _verified(model, Streamline(), cfg)


def step_to_hw(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """To hardware: integer conv+threshold and max-pool layers become NHWC hardware ops;
    to_hw.json lists every node left on the host with the reason, and the step stops when
    nothing converted or host nodes sit between hardware layers."""
    assert model is not None
    model = _verified(model, ConvertToHW(), cfg)
    report = host_report(model)
    path = cfg.output_dir / TO_HW_FILE
    atomic_write_text(path, json.dumps(report, indent=2))
    if report["problem"] is not None:
        raise QnnflowError(f"{report['problem']}\nevery host node with its reason: {path}")
    return model
