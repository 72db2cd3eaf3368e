"""The driver package on disk: `accelerator.json` (stream formats: `input`, and `outputs` in
the order of the top's ports out0, out1, ..., each received by the DMA `ip.output_dmas[i]`;
DDR weight images, detector heads, class names), `host_graph.json` + `host_graph.npz` (the
host ops before and after the accelerator) and, for the simulation backends only, `model.onnx`.

`load_package` validates what it reads so a stale or hand-edited package fails at load
time with the field it disagrees on. Numpy only: this runs on the board.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qnnflow.driver.formats import StreamFormat
from qnnflow.driver.host_graph import HostGraph, load_host_graphs
from qnnflow.errors import QnnflowError
from qnnflow.yolo.image import DECODERS

SCHEMA = 1
ACCELERATOR_JSON = "accelerator.json"
HOST_JSON = "host_graph.json"
HOST_NPZ = "host_graph.npz"
MODEL_ONNX = "model.onnx"
WEIGHTS_DIR = "weights"


@dataclass(frozen=True)
class WeightImage:
    """A layer's weights in DDR: the accelerator reads `file` through its AXI master `port`,
    whose base address the driver writes into the AXI-lite registers named after the port.
    `file` is None when the export had no image for it (the pynq backend then refuses)."""

    node: str
    port: str | None
    file: str | None
    bytes_per_frame: int
    word_bits: int | None = None

    def to_json(self) -> dict:
        return dict(self.__dict__)


@dataclass
class AcceleratorPackage:
    root: Path
    top: str
    input: StreamFormat
    outputs: tuple[StreamFormat, ...]  # in the order of the top's ports out0, out1, ...
    weights: tuple[WeightImage, ...]
    heads: list[dict]
    names: list[str]
    net_input: dict  # {"tensor", "shape" (NCHW), "width", "height"}
    bitfile: str
    ip: dict = field(default_factory=lambda: {"dma": "dma", "accelerator": "accel"})
    control: bool = False  # an s_axilite control interface (ap_ctrl_hs) exists
    decoder: str = "pillow"  # how images are decoded: "darknet" (stb_image) or "pillow"
    _host: dict[str, HostGraph] | None = None

    @property
    def output(self) -> StreamFormat:
        """The first output stream (the only one of a single-output accelerator)."""
        return self.outputs[0]

    @property
    def output_dmas(self) -> list[str]:
        """The DMA cell receiving each output stream (the first shares the input's DMA)."""
        return list(self.ip.get("output_dmas", [self.ip.get("dma", "dma")]))

    @property
    def host(self) -> dict[str, HostGraph]:
        """{"prefix": ..., "suffix": ...}, loaded on first use."""
        if self._host is None:
            self._host = load_host_graphs(self.root / HOST_JSON, self.root / HOST_NPZ)
            for part in ("prefix", "suffix"):
                if part not in self._host:
                    raise QnnflowError(f"{self.root / HOST_JSON}: no '{part}' graph")
        return self._host

    def weight_bytes(self, image: WeightImage) -> np.ndarray:
        if image.file is None:
            raise QnnflowError(
                f"the package has no DDR weight image for '{image.node}' (port {image.port}); "
                "re-export it once the HLS backend provides ddr_weight_images"
            )
        path = self.root / image.file
        data = np.fromfile(path, dtype=np.uint8) if path.is_file() else None
        if data is None:
            raise QnnflowError(f"weight image missing: {path}")
        return data

    def to_json(self) -> dict:
        return {
            "schema": SCHEMA,
            "top": self.top,
            "bitfile": self.bitfile,
            "ip": self.ip,
            "control": self.control,
            "input": self.input.to_json(),
            "outputs": [o.to_json() for o in self.outputs],
            "weights": [w.to_json() for w in self.weights],
            "net_input": self.net_input,
            "heads": self.heads,
            "names": self.names,
            "decoder": self.decoder,
        }

    def save(self) -> Path:
        path = self.root / ACCELERATOR_JSON
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")
        return path


def load_package(root: str | Path) -> AcceleratorPackage:
    """Read and check `accelerator.json` in `root` (host graphs load on first use)."""
    root = Path(root)
    path = root / ACCELERATOR_JSON
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise QnnflowError(f"not a driver package (no {ACCELERATOR_JSON}): {root}") from None
    except json.JSONDecodeError as exc:
        raise QnnflowError(f"{path}: not valid JSON: {exc}") from None
    if data.get("schema") != SCHEMA:
        raise QnnflowError(f"{path}: schema {data.get('schema')}, this driver reads {SCHEMA}")
    try:
        package = AcceleratorPackage(
            root=root,
            top=data["top"],
            input=StreamFormat.from_json(data["input"]),
            outputs=tuple(StreamFormat.from_json(o) for o in _outputs(data)),
            weights=tuple(WeightImage(**w) for w in data["weights"]),
            heads=list(data.get("heads", [])),
            names=list(data.get("names", [])),
            net_input=dict(data["net_input"]),
            bitfile=data["bitfile"],
            ip=dict(data.get("ip", {"dma": "dma", "accelerator": "accel"})),
            control=bool(data.get("control", False)),
            decoder=data.get("decoder", "pillow"),
        )
    except (KeyError, TypeError) as exc:
        raise QnnflowError(f"{path}: missing or malformed field: {exc}") from None
    if package.decoder not in DECODERS:
        raise QnnflowError(
            f"{path}: field 'decoder' must be one of {', '.join(DECODERS)}, got {package.decoder!r}"
        )
    if len(package.output_dmas) != len(package.outputs):
        raise QnnflowError(
            f"{path}: {len(package.outputs)} output stream(s) but ip.output_dmas names "
            f"{len(package.output_dmas)} DMA(s)"
        )
    if package.weights and not package.control:
        raise QnnflowError(f"{path}: DDR weight ports need the accelerator's control interface")
    return package


def _outputs(data: dict) -> list:
    """The output stream descriptions: `outputs`, or a single-output package's `output`."""
    outputs = data["outputs"] if "outputs" in data else [data["output"]]
    if not isinstance(outputs, list) or not outputs:
        raise TypeError("'outputs' must be a non-empty list")
    return outputs
