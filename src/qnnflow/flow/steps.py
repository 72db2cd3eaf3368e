"""The build's steps, in order. A step is `step_<verb>(model, cfg) -> model`; the runner
saves the model after each one as `<NN>_<name>.onnx` in the output directory."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Callable

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.errors import QnnflowError
from qnnflow.flow.accuracy_step import step_accuracy
from qnnflow.flow.config import BuildConfig
from qnnflow.flow.fold_step import step_fold
from qnnflow.flow.hls_steps import step_codegen, step_cppsim
from qnnflow.flow.package_step import step_package
from qnnflow.flow.quant_steps import step_quantize, step_streamline, step_to_hw
from qnnflow.flow.report import step_report
from qnnflow.flow.rtlsim_step import rtlsim_asked, step_rtlsim
from qnnflow.flow.synth_step import step_synth
from qnnflow.flow.tool_steps import step_bitstream, step_ip
from qnnflow.flow.verify_step import step_verify
from qnnflow.transforms.tidy import TidyUp

Step = Callable[[ModelWrapper | None, BuildConfig], ModelWrapper]


def step_import(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Import: Darknet cfg+weights, an ONNX/QONNX file, or trained binary parameters (.npz)."""
    if cfg.model.suffix == ".onnx":
        from qnnflow.frontend.onnx_import import load_onnx

        return load_onnx(cfg.model, cfg.input_size)
    if cfg.model.suffix == ".npz":
        from qnnflow.frontend.binparams import detector_model, load_binparams

        params = load_binparams(cfg.model)
        if cfg.input_size is not None:
            params = dataclasses.replace(params, input_size=tuple(cfg.input_size))
        return detector_model(params, first_last=cfg.first_last)
    from qnnflow.frontend.darknet import import_darknet

    if cfg.weights is None or not cfg.weights.is_file():
        raise QnnflowError(f"weights not found for {cfg.model}: {cfg.weights} (use --weights)")
    return import_darknet(cfg.model, cfg.weights, cfg.input_size, fold_bn=cfg.fold_bn)


def step_tidy(model: ModelWrapper | None, cfg: BuildConfig) -> ModelWrapper:
    """Tidy up: infer shapes and datatypes, fold constants, remove unused tensors."""
    assert model is not None
    return model.transform(TidyUp())


STEPS: list[tuple[str, Step]] = [
    ("import", step_import),
    ("tidy", step_tidy),
    ("verify", step_verify),
    ("quantize", step_quantize),
    ("accuracy", step_accuracy),
    ("streamline", step_streamline),
    ("to_hw", step_to_hw),
    ("fold", step_fold),
    ("codegen", step_codegen),
    ("cppsim", step_cppsim),  # with --backend hls: g++
    ("rtlsim", step_rtlsim),  # with --backend rtl or --rtlsim: Verilator
    ("package", step_package),
    ("synth", step_synth),  # opt-in (--synth): Yosys
    ("report", step_report),
    ("ip", step_ip),  # Vitis HLS
    ("bitstream", step_bitstream),  # Vivado
]
TOOL_STEPS = ("ip", "bitstream")  # without the vendor tool the build stops there
# Opt-in steps pass the model through unless their option asks for them; a record of a
# pass-through does not count as the step done when it is asked for later.
OPT_IN: dict[str, Callable[[BuildConfig], bool]] = {
    "cppsim": lambda cfg: cfg.backend == "hls",
    "rtlsim": rtlsim_asked,
    "synth": lambda cfg: cfg.synth,
}


def step_options(cfg: BuildConfig, name: str) -> str:
    """Options that enter the fingerprint chain at step `name` (so they rerun it and every
    later step, not the earlier ones): the backend at codegen."""
    return f"backend={cfg.backend}" if name == "codegen" else ""


# What each step writes besides its ONNX (globs relative to the output folder; a folder
# counts with every file in it). The runner records the files with their hashes in
# build_state.json; on resume a missing or changed one reruns the step and those after it.
REPORT_FILES = ("report.md", "report.json", "report.html", "report", "deploy/report", "deploy.zip")
OUTPUTS: dict[str, tuple[str, ...]] = {
    "import": (),
    "tidy": (),
    "verify": ("verify",),
    "quantize": ("quantize.json",),
    "accuracy": ("accuracy.json",),
    "streamline": (),
    "to_hw": ("to_hw.json",),
    "fold": ("folding_config.json", "estimate.json", "estimate.md"),
    "codegen": ("hls", "vivado/*.tcl"),
    "cppsim": ("cppsim",),
    "rtlsim": ("rtlsim",),
    "package": ("deploy", "deploy.zip"),
    "synth": ("synth.json", "synth.md"),
    # the report also refreshes deploy.zip with its copy in deploy/report/
    "report": REPORT_FILES,
    "ip": ("hls/prj_*/sol1/impl/ip", *REPORT_FILES),  # ip and bitstream rewrite the report
    "bitstream": ("bitstream", "deploy/*.bit", "deploy/*.hwh", "deploy/README.md", *REPORT_FILES),
}

# What differs with another backend than hls (OUTPUTS holds the HLS backend's).
BACKEND_OUTPUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "rtl": {"codegen": ("rtl", "vivado/*.tcl"), "ip": ("rtl/ip", *REPORT_FILES)},
}


def step_outputs(cfg: BuildConfig, name: str) -> tuple[str, ...]:
    """The files step `name` writes with this build's backend (globs, see OUTPUTS)."""
    return BACKEND_OUTPUTS.get(cfg.backend, {}).get(name, OUTPUTS[name])


def step_names() -> list[str]:
    return [name for name, _ in STEPS]


def tool_free_step_names() -> list[str]:
    """The steps that run on any machine (all but the vendor-tool ones)."""
    return [name for name in step_names() if name not in TOOL_STEPS]


def step_help(width: int = 88) -> str:
    """Each step's whole first docstring paragraph, wrapped, for `qnnflow build --help`
    (a first line alone would stop mid-sentence)."""
    lines = []
    for i, (name, fn) in enumerate(STEPS, start=1):
        paragraph = " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())
        text = f"{i:02d} {name}: {paragraph}"
        lines.extend(textwrap.wrap(text, width, subsequent_indent="    "))
    return "\n".join(lines)
