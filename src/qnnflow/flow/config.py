"""The one configuration object of a build; every output path derives from `output_dir`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

import qnnflow
from qnnflow.analysis.resource_factors import RESOURCE_SOURCES
from qnnflow.errors import QnnflowError
from qnnflow.flow.float_reference import beside_model, check_reference, reference_files
from qnnflow.resources import hls_dir, rtl_dir
from qnnflow.util.checks import int_at_least, positive_finite
from qnnflow.verify.group import VERIFY_MODES
from qnnflow.yolo.image import check_decoder, resolve_decoder

PACKAGE_DIR = Path(qnnflow.__file__).resolve().parent
TARGET_SCOPES = ("accelerator", "end-to-end")  # what --target-fps aims at
FIFO_SIZINGS = ("lag", "sim", "rtlsim")  # InsertFIFOs' fifo_sizing
BACKENDS = ("hls", "rtl")  # what codegen renders the folded graph to


@dataclass
class BuildConfig:
    """Options of a build (CLI flags map 1:1 onto these fields)."""

    model: Path
    board: str = "pynq_z2"
    weights: Path | None = None
    output_root: Path = Path("build")
    input_size: tuple[int, int] | None = None
    fold_bn: bool = False
    from_step: str | None = None
    to_step: str | None = None
    verify_tolerance: float = 1e-4
    target_fps: float | None = None
    target_scope: str = "accelerator"  # what target_fps aims at: accelerator or end-to-end
    calib_dir: Path | None = None
    calib_method: str = "percentile"
    calib_samples: int = 50
    calib_percentile: float = 99.99  # for calib_method percentile
    first_last_bits: int | None = 8  # first/last conv weights; None keeps them float
    scheme: str | None = None  # "w1a3": quantize a float Darknet cfg without binary=1 marks
    folding: Path | None = None
    fifo_sizing: str = "lag"  # InsertFIFOs' rule: lag, sim or rtlsim
    seed: int = 0  # of the random verification inputs
    verify_inputs: int = 1  # random inputs per check, besides the edge and boundary inputs
    verify: str = "fast"  # transform checks: full (per transform, full size), fast or off
    accuracy_data: Path | None = None  # labelled dataset (make-dataset layout) for the gate
    accuracy_images: int | None = 100
    max_accuracy_drop: float = 5.0
    float_reference: Path | None = None  # float-trained model the gate compares with
    decoder: str | None = None  # image decoder; None = the model's (stb_image for Darknet)
    first_last: str = "host"  # .npz models: conv0/conv8 float on the "host" or in "fabric"
    resources: str = "estimate"  # AutoFold's figures: the ops' estimates or x synth factors
    resource_factors: Path | None = None  # a synth.json; default: the build folder's
    synth: bool = False  # run the opt-in synth step (Yosys); does not change other steps
    rtlsim: bool = False  # run the opt-in rtlsim step (Verilator); changes no other step
    backend: str = "hls"  # codegen's target: Vitis HLS C++ or our SystemVerilog (rtl)
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.model = Path(self.model)
        self.output_root = Path(self.output_root)
        if self.weights is None and self.model.suffix == ".cfg":
            self.weights = self.model.with_suffix(".weights")
        if self.weights is not None:
            self.weights = Path(self.weights)
        if self.calib_dir is None and self.model.suffix == ".cfg":
            self.calib_dir = self.model.with_name(f"{self.model.stem}-calib")
        if self.calib_dir is not None:
            self.calib_dir = Path(self.calib_dir)
        if self.accuracy_data is not None:
            self.accuracy_data = Path(self.accuracy_data)
        if self.target_fps is not None:
            self.target_fps = positive_finite(self.target_fps, "--target-fps")
        if self.fifo_sizing not in FIFO_SIZINGS:
            raise QnnflowError(
                f"--fifo-sizing must be one of {', '.join(FIFO_SIZINGS)}, got {self.fifo_sizing!r}"
            )
        if self.verify not in VERIFY_MODES:
            raise QnnflowError(
                f"--verify must be one of {', '.join(VERIFY_MODES)}, not {self.verify!r}"
            )
        if self.backend not in BACKENDS:
            raise QnnflowError(f"--backend must be hls or rtl, not {self.backend!r}")
        if self.target_scope not in TARGET_SCOPES:
            raise QnnflowError(
                f"--target-scope must be one of {', '.join(TARGET_SCOPES)}, "
                f"got {self.target_scope!r}"
            )
        if self.accuracy_images is not None:
            int_at_least(self.accuracy_images, 1, "--accuracy-images")
        int_at_least(self.verify_inputs, 1, "--verify-inputs")
        int_at_least(self.seed, 0, "--seed")
        int_at_least(self.calib_samples, 1, "the number of calibration images (--max-samples)")
        if self.decoder is not None:
            check_decoder(self.decoder)
        if self.scheme not in (None, "w1a3"):
            raise QnnflowError(
                f"--scheme {self.scheme}: the build quantizes Darknet cfgs with w1a3 only; "
                "quantize other schemes first with `qnnflow quantize` and build its QONNX"
            )
        if self.resources not in RESOURCE_SOURCES:
            raise QnnflowError(
                f"--resources must be one of {', '.join(RESOURCE_SOURCES)}, not {self.resources!r}"
            )
        if self.resource_factors is not None:
            self.resource_factors = Path(self.resource_factors)
        if self.first_last not in ("host", "fabric"):
            raise QnnflowError(f"--first-last must be host or fabric, not {self.first_last!r}")
        if not self.model.is_file():
            raise QnnflowError(f"model not found: {self.model}")
        if self.model.suffix not in (".cfg", ".onnx", ".npz"):
            raise QnnflowError(
                f"model must be a Darknet .cfg, an .onnx or a binary-parameter "
                f".npz file: {self.model}"
            )
        if self.float_reference is None:
            self.float_reference = beside_model(self.model)
        else:
            self.float_reference = Path(self.float_reference)
            check_reference(self.float_reference, self.model)

    @property
    def model_name(self) -> str:
        return self.model.stem

    @property
    def output_dir(self) -> Path:
        return self.output_root / self.model_name

    def fingerprint(self) -> str:
        """Hash of everything that changes a step's result: options, input files and folders
        (calibration images, the accuracy dataset) and the compiler's own source. Where the
        outputs go does not change them; the backend enters at codegen (steps.step_options),
        so switching it reruns codegen and what follows, not the steps before."""
        ignored = ("from_step", "to_step", "output_root", "synth", "rtlsim", "backend")
        options = {k: v for k, v in asdict(self).items() if k not in ignored}
        digest = hashlib.sha256(json.dumps(options, default=str, sort_keys=True).encode())
        names = self.model.with_suffix(".names")  # Darknet class names beside the cfg
        inputs = (self.model, self.weights, self.folding, names, self.resource_factors)
        for path in (*inputs, *reference_files(self.float_reference)):
            if path is not None and path.is_file():
                digest.update(path.read_bytes())
        sources = [*PACKAGE_DIR.rglob("*.py"), *hls_dir().rglob("*.*"), *rtl_dir().rglob("*.*")]
        for source in sorted(sources):  # a changed compiler or kernel library reruns steps
            digest.update(source.read_bytes())
        for folder in (self.calib_dir, self.accuracy_data):
            if folder is not None and folder.is_dir():
                for file in sorted(folder.rglob("*")):
                    if file.is_file():
                        name = file.relative_to(folder).as_posix()
                        digest.update(name.encode() + b"\0" + file.read_bytes())
        return digest.hexdigest()[:16]


def preferred_decoder(cfg: BuildConfig, model: ModelWrapper) -> str:
    """The decoder the user asked for, else the model's (recorded in the deploy package)."""
    from qnnflow.detector import default_decoder

    return cfg.decoder or default_decoder(model)


def build_decoder(cfg: BuildConfig, model: ModelWrapper) -> str:
    """The decoder this build reads images with: strict when asked for (--decoder), else the
    model's, falling back to Pillow with a warning where stb_image is missing."""
    return resolve_decoder(cfg.decoder, preferred_decoder(cfg, model))


def saved_step_path(cfg: BuildConfig, step: str) -> Path | None:
    """The ONNX a previous step saved (`<NN>_<step>.onnx`), or None if it has not run."""
    matches = sorted(cfg.output_dir.glob(f"[0-9][0-9]_{step}.onnx"))
    return matches[-1] if matches else None
