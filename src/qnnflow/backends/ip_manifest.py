"""The contract between the HLS code generator and the tool scripts: one JSON file that says
which C++ files make which IP, with which stream and memory ports, so the Vitis HLS and
Vivado renderers never look inside the C++ or the ONNX graph.

Paths are relative to the folder that holds the manifest (the HLS output folder); the
scripts run with that folder (Vitis HLS) or derive their paths from it (Vivado).

Port naming follows Vitis HLS: a stream argument `in0` becomes the AXI-Stream interface
`in0`; `#pragma HLS INTERFACE m_axi port=w bundle=B` becomes `m_axi_B`; `s_axilite
bundle=control` becomes `s_axi_control`. The stitched top's output stream must carry TLAST
on the last beat of a frame (e.g. `hls::axis<ap_uint<W>, 0, 0, 0>`), because the AXI DMA's
S2MM channel ends a transfer only on TLAST.
"""

from __future__ import annotations

import json
import re
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any

from qnnflow.errors import QnnflowError
from qnnflow.util.atomic import atomic_write_text

SCHEMA_VERSION = 1
MANIFEST_NAME = "ip_manifest.json"
_C_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
AXI_MM_WIDTHS = (8, 16, 32, 64, 128, 256, 512, 1024)  # AXI4 data widths


class IpManifestError(QnnflowError):
    """An IP manifest that is malformed or inconsistent; the message names the field."""


def _fail(where: str, message: str) -> None:
    raise IpManifestError(f"{where}: {message}")


def _check_ident(where: str, value: object) -> None:
    if not isinstance(value, str) or not _C_IDENT.match(value):
        _fail(where, f"expected a C identifier, got {value!r}")


def _check_width(where: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value % 8:
        _fail(where, f"expected a positive multiple of 8 bits (padded stream), got {value!r}")


def _check_relpath(where: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        _fail(where, f"expected a relative path, got {value!r}")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        _fail(where, f"expected a relative path inside the HLS folder, got {value!r}")
    if any(c in value for c in ' {}[]$"\\;'):
        _fail(where, f"path has a character Tcl scripts would misread: {value!r}")


def _check_paths(where: str, values: object, allow_empty: bool = True) -> None:
    if not isinstance(values, tuple) or not all(isinstance(v, str) for v in values):
        _fail(where, f"expected a list (a tuple in Python) of relative paths, got {values!r}")
    if not values and not allow_empty:
        _fail(where, "expected at least one file")
    for i, value in enumerate(values):
        _check_relpath(f"{where}[{i}]", value)


@dataclass(frozen=True)
class AxiMmPort:
    """A weight-streaming layer's AXI4 master (`m_axi_<bundle>`) reading a DDR weight image."""

    bundle: str
    data_width_bits: int
    bytes_per_frame: int
    ddr_image: str

    @property
    def interface(self) -> str:
        return f"m_axi_{self.bundle}"

    def validate(self, where: str) -> None:
        _check_ident(f"{where}.bundle", self.bundle)
        if self.data_width_bits not in AXI_MM_WIDTHS:
            _fail(
                f"{where}.data_width_bits",
                f"expected one of {AXI_MM_WIDTHS}, got {self.data_width_bits!r}",
            )
        if not isinstance(self.bytes_per_frame, int) or self.bytes_per_frame <= 0:
            _fail(
                f"{where}.bytes_per_frame",
                f"expected a positive integer, got {self.bytes_per_frame!r}",
            )
        _check_relpath(f"{where}.ddr_image", self.ddr_image)


@dataclass(frozen=True)
class LayerIp:
    """One layer as its own HLS IP (synthesised alone for per-layer reports and early errors)."""

    name: str
    top: str
    sources: tuple[str, ...]
    include_dirs: tuple[str, ...]
    in_width_bits: int
    out_width_bits: int
    axi_mm: AxiMmPort | None = None

    def validate(self, where: str) -> None:
        _check_ident(f"{where}.name", self.name)
        _check_ident(f"{where}.top", self.top)
        _check_paths(f"{where}.sources", self.sources, allow_empty=False)
        _check_paths(f"{where}.include_dirs", self.include_dirs)
        _check_width(f"{where}.in_width_bits", self.in_width_bits)
        _check_width(f"{where}.out_width_bits", self.out_width_bits)
        if self.axi_mm is not None:
            self.axi_mm.validate(f"{where}.axi_mm")


@dataclass(frozen=True)
class IpManifest:
    """A generated accelerator: the stitched dataflow top and the layers it calls."""

    part: str
    clock_ns: float
    top: str
    top_sources: tuple[str, ...]
    layers: tuple[LayerIp, ...]
    in_width_bits: int
    out_width_bits: int
    include_dirs: tuple[str, ...] = ()
    in_port: str = "in0"
    out_port: str = "out0"
    # the outputs after the first (a multi-head detector's other region outputs): port names
    # out1, out2, ... and their byte-padded widths, in the region's output order
    extra_out_ports: tuple[str, ...] = ()
    extra_out_width_bits: tuple[int, ...] = ()
    control_bundle: str | None = "control"
    output_tlast: bool = True
    cflags: tuple[str, ...] = ("-std=c++14",)
    schema: int = SCHEMA_VERSION
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.validate()

    @property
    def control_interface(self) -> str | None:
        return None if self.control_bundle is None else f"s_axi_{self.control_bundle}"

    @property
    def outputs(self) -> tuple[tuple[str, int], ...]:
        """(port, width bits) of every output stream, the first (out_port) included."""
        return ((self.out_port, self.out_width_bits),) + tuple(
            zip(self.extra_out_ports, self.extra_out_width_bits, strict=True)
        )

    @property
    def axi_mm_layers(self) -> tuple[LayerIp, ...]:
        return tuple(layer for layer in self.layers if layer.axi_mm is not None)

    def validate(self) -> None:
        """Raise IpManifestError naming the first bad field."""
        if self.schema != SCHEMA_VERSION:
            _fail("schema", f"expected {SCHEMA_VERSION}, got {self.schema!r}")
        if not isinstance(self.part, str) or not re.match(r"^x[a-z0-9-]+$", self.part):
            _fail("part", f"expected a Xilinx part name such as xc7z020clg400-1, got {self.part!r}")
        if (
            isinstance(self.clock_ns, bool)
            or not isinstance(self.clock_ns, (int, float))
            or not 0 < self.clock_ns < 1000
        ):
            _fail("clock_ns", f"expected a clock period in ns, got {self.clock_ns!r}")
        for name in ("top", "in_port", "out_port"):
            _check_ident(name, getattr(self, name))
        if self.control_bundle is not None:
            _check_ident("control_bundle", self.control_bundle)
        _check_paths("top_sources", self.top_sources, allow_empty=False)
        _check_paths("include_dirs", self.include_dirs)
        _check_width("in_width_bits", self.in_width_bits)
        _check_width("out_width_bits", self.out_width_bits)
        if len(self.extra_out_ports) != len(self.extra_out_width_bits):
            _fail("extra_out_width_bits", "expected one width per port of extra_out_ports")
        for i, (port, width) in enumerate(
            zip(self.extra_out_ports, self.extra_out_width_bits, strict=True)
        ):
            _check_ident(f"extra_out_ports[{i}]", port)
            _check_width(f"extra_out_width_bits[{i}]", width)
        ports = [self.in_port, *(port for port, _ in self.outputs)]
        if len(set(ports)) != len(ports):
            _fail("extra_out_ports", f"stream port names repeat: {ports}")
        if not all(isinstance(f, str) and f for f in self.cflags):
            _fail("cflags", f"expected a list of compiler flags, got {self.cflags!r}")
        if not isinstance(self.layers, tuple) or not self.layers:
            _fail("layers", "expected at least one layer")
        seen: dict[str, str] = {}
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, LayerIp):
                _fail(f"layers[{i}]", f"expected a layer, got {layer!r}")
            layer.validate(f"layers[{i}]")
            for kind, value in (
                ("name", layer.name),
                ("axi_mm.bundle", layer.axi_mm and layer.axi_mm.bundle),
            ):
                if not value:
                    continue
                if value in seen:
                    _fail(f"layers[{i}].{kind}", f"{value!r} is already used by {seen[value]}")
                seen[value] = f"layers[{i}].{kind}"
            if layer.name == self.top:
                _fail(f"layers[{i}].name", f"{layer.name!r} is also the stitched top's name")
        if self.axi_mm_layers and self.control_bundle is None:
            _fail(
                "control_bundle",
                "layers with axi_mm ports need an s_axilite control "
                "interface for their DDR base addresses",
            )

    def all_sources(self) -> tuple[str, ...]:
        """The stitched top's files: its own, then every layer's, each once."""
        files = list(self.top_sources) + [s for layer in self.layers for s in layer.sources]
        return tuple(dict.fromkeys(files))

    def all_include_dirs(self) -> tuple[str, ...]:
        dirs = list(self.include_dirs) + [d for layer in self.layers for d in layer.include_dirs]
        return tuple(dict.fromkeys(dirs))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("extra", "extra_out_ports", "extra_out_width_bits"):
            if not data[key]:  # a single-output manifest reads as before
                del data[key]
        return data

    @classmethod
    def from_dict(cls, data: object, where: str = "manifest") -> IpManifest:
        """Build from parsed JSON; unknown or missing keys are errors (typos must not pass)."""
        raw = _as_mapping(data, where)
        layers = raw.get("layers")
        if not isinstance(layers, list):
            raise IpManifestError(f"{where}: layers: expected a list, got {layers!r}")
        raw["layers"] = tuple(
            _build(LayerIp, _layer_fields(item, f"{where}: layers[{i}]"), f"{where}: layers[{i}]")
            for i, item in enumerate(layers)
        )
        return _build(cls, raw, where)

    def save(self, path: str | Path) -> Path:
        """Write atomically as indented JSON; returns the path."""
        path = Path(path)
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> IpManifest:
        path = Path(path)
        if path.is_dir():
            path = path / MANIFEST_NAME
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise IpManifestError(f"IP manifest not found: {path}") from None
        except json.JSONDecodeError as exc:
            raise IpManifestError(f"{path}: not valid JSON: {exc}") from None
        return cls.from_dict(data, where=str(path))


def _as_mapping(data: object, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise IpManifestError(f"{where}: expected a JSON object, got {type(data).__name__}")
    return dict(data)


def _layer_fields(item: object, where: str) -> dict[str, Any]:
    raw = _as_mapping(item, where)
    if raw.get("axi_mm") is not None:
        raw["axi_mm"] = _build(
            AxiMmPort, _as_mapping(raw["axi_mm"], f"{where}.axi_mm"), f"{where}.axi_mm"
        )
    return raw


def _build(cls: type, raw: dict[str, Any], where: str) -> Any:
    """Instantiate a dataclass from a dict: lists become tuples, key errors become messages."""
    names = {f.name for f in fields(cls)}
    required = {f.name for f in fields(cls) if f.default is f.default_factory is MISSING}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise IpManifestError(f"{where}: unknown field(s) {', '.join(unknown)}")
    missing = sorted(required - set(raw))
    if missing:
        raise IpManifestError(f"{where}: missing field(s) {', '.join(missing)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    if cls is not IpManifest:
        instance = cls(**values)
        instance.validate(where)
        return instance
    try:
        return cls(**values)
    except IpManifestError as exc:
        raise IpManifestError(f"{where}: {exc}") from None
