"""Export a folded model as a driver package: the accelerator's stream formats and DDR weight
images, the host ops before and after it as numpy data, the detector heads and class names
(runs here, with qonnx; the package is what the board's numpy-only driver reads).

DDR weight images come from a hook, because their byte layout belongs to the HLS backend:
`weight_images(model, node) -> {port_name: uint8 array}` for every MatrixVectorUnit with
mem_mode=stream_ddr, where port_name is the renderer's MMPort name (the `m_axi` argument of
the top, so also the prefix of its AXI-lite address registers). Without an explicit hook the
export uses `qnnflow.backends.hls.params.ddr_weight_images` when that exists; otherwise it
records the ports with no file, and only the pynq backend (which needs them) refuses.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

import qnnflow
from qnnflow.backends.deploy.host_export import host_graph, needed_nodes
from qnnflow.backends.hls.network import DEFAULT_TOP, hardware_region, region_boundary
from qnnflow.backends.hls.streams import element_signed
from qnnflow.backends.vivado.project import output_dma_name
from qnnflow.driver.formats import StreamFormat
from qnnflow.driver.host_graph import HostGraph, save_host_graphs
from qnnflow.driver.package import (
    HOST_JSON,
    HOST_NPZ,
    MODEL_ONNX,
    WEIGHTS_DIR,
    AcceleratorPackage,
    WeightImage,
)
from qnnflow.driver.sim_backends import renderers_available
from qnnflow.driver.sim_build import SIM_DIR, sim_main
from qnnflow.errors import QnnflowError
from qnnflow.frontend.darknet.to_onnx import HEADS_KEY
from qnnflow.ops.stream_order import output_channel_groups
from qnnflow.util.atomic import replace_dir

log = logging.getLogger(__name__)
RUNTIME_DIR = "runtime"
# The numpy-only modules the board needs, copied so the package runs without installing
# qnnflow there: `sys.path.insert(0, "<package>/runtime")`, then `import qnnflow.driver`.
RUNTIME_FILES = ("__init__.py", "errors.py", "packing.py", "yolo/*.py", "yolo/*.cpp", "driver/*.py")
WeightHook = Callable[[ModelWrapper, object], dict]
PARAMS_MODULE = "qnnflow.backends.hls.params"


def _stream(tensor: str, shape: list, folded: tuple, dtype, groups: int = 1) -> StreamFormat:
    return StreamFormat(
        tensor=tensor,
        shape=tuple(int(v) for v in shape),
        dtype=dtype.name,
        per_word=int(folded[-1]),
        bits=int(dtype.bitwidth()),
        signed=element_signed(dtype),  # as the stream carries it: BIPOLAR is an unsigned bit
        words=int(np.prod(folded[:-1])),
        channel_groups=groups,
    )


Formats = tuple[StreamFormat, tuple[StreamFormat, ...]]  # input, outputs in port order


def _output_stream(model: ModelWrapper, tensor: str) -> StreamFormat:
    producer = model.find_producer(tensor)
    last = getCustomOp(producer)
    return _stream(
        tensor,
        model.get_tensor_shape(tensor),
        last.folded_output_shape(),
        last.output_dtype(),
        output_channel_groups(model, producer),
    )


def stream_formats(model: ModelWrapper) -> Formats:
    """The input stream's format and every output stream's (in the region's output order,
    that of the top's ports out0, out1, ...) from the boundary ops' own folding."""
    region = hardware_region(model)
    in_tensor, out_tensors = region_boundary(model, region)
    consumers = model.find_consumers(in_tensor)
    if len(consumers) != 1:
        raise QnnflowError(f"the accelerator input '{in_tensor}' must feed exactly one layer")
    first = getCustomOp(consumers[0])
    fin = _stream(
        in_tensor,
        model.get_tensor_shape(in_tensor),
        first.folded_input_shape(),
        first.input_dtype(),
    )
    return fin, tuple(_output_stream(model, t) for t in out_tensors)


def host_graphs(model: ModelWrapper, formats: Formats) -> tuple[HostGraph, HostGraph]:
    """The host's nodes before the accelerator (graph input -> its input stream) and after
    it (its output streams -> graph outputs), as the driver runs them."""
    graph_in = model.graph.input[0].name
    graph_outs = [o.name for o in model.graph.output]
    region_in, region_outs = formats[0].tensor, [f.tensor for f in formats[1]]
    before = needed_nodes(model, [region_in], [graph_in])
    after = needed_nodes(model, graph_outs, region_outs)
    prefix = host_graph(model, before, [graph_in], [region_in])
    return prefix, host_graph(model, after, region_outs, graph_outs)


def check_against_codegen(model: ModelWrapper, formats: Formats):
    """When the HLS renderers exist, the generated top's streams must agree with ours."""
    if not renderers_available():
        return None
    from qnnflow.backends.hls.network import build_network_code

    net = build_network_code(model)
    ours_all = (formats[0], *formats[1])
    theirs_all = (net.input_tensor, *net.output_tensors)
    if len(ours_all) != len(theirs_all):
        raise QnnflowError(
            f"driver streams {[f.tensor for f in ours_all]} disagree with the generated top's "
            f"{list(theirs_all)}"
        )
    for fmt, tensor in zip(ours_all, theirs_all, strict=True):
        spec = net.streams[tensor]
        ours = (fmt.tensor, fmt.per_word, fmt.bits, fmt.signed, fmt.words)
        theirs = (tensor, spec.per_word, spec.bits, spec.signed, spec.words)
        if ours != theirs:
            raise QnnflowError(f"driver stream {ours} disagrees with the generated top {theirs}")
    return net


def _default_hook() -> WeightHook | None:
    """The HLS params module's `ddr_weight_images`, when that module and function exist."""
    if importlib.util.find_spec(PARAMS_MODULE) is None:
        return None
    return getattr(importlib.import_module(PARAMS_MODULE), "ddr_weight_images", None)


def _weight_images(model: ModelWrapper, out: Path, net, hook: WeightHook | None) -> list:
    ports = {}
    if net is not None:
        for layer, name in zip(net.layers, net.node_names, strict=True):
            ports[name] = layer.mm_ports
    images = []
    for node in hardware_region(model):
        op = getCustomOp(node)
        per_frame = op.ddr_bytes_per_frame()
        if per_frame == 0:  # weights on chip: no DDR image
            continue
        known = {p.name: p for p in ports.get(node.name, ())}
        if hook is None:
            log.warning("no DDR weight image for %s (no hook); pynq will refuse", node.name)
            port = next(iter(known), None)
            images.append(WeightImage(node.name, port, None, per_frame))
            continue
        produced = hook(model, node)
        expected = set(known) or set(produced)
        if not produced or set(produced) != expected:
            raise QnnflowError(
                f"'{node.name}' streams weights from DDR: the weight hook gave images for "
                f"ports {sorted(produced)}, the generated code has {sorted(expected)}"
            )
        for port, data in produced.items():
            raw = np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)
            file = f"{WEIGHTS_DIR}/{port}.bin"
            (out / WEIGHTS_DIR).mkdir(exist_ok=True)
            raw.tofile(out / file)
            bits = known[port].word_bits if port in known else None
            images.append(WeightImage(node.name, port, file, per_frame, bits))
    return images


def copy_runtime(out: Path) -> Path:
    """Copy the board-side Python modules into `out/runtime/qnnflow`."""
    source = Path(qnnflow.__file__).parent
    target = out / RUNTIME_DIR / "qnnflow"
    for pattern in RUNTIME_FILES:
        for file in sorted(source.glob(pattern)):
            dest = target / file.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, dest)
    return target


def write_sim_sources(model: ModelWrapper, net, out: Path) -> Path:
    """`out/sim/`: the generated accelerator and our kernel headers, so the "sim" backend
    compiles and runs from the package alone (no qnnflow install needed where it runs)."""
    from qnnflow.backends.hls.network import render_network
    from qnnflow.backends.hls.paths import hls_library_dir

    target = out / SIM_DIR
    files = render_network(model, net)
    if sim_main(net.top) not in files:
        raise QnnflowError(f"the HLS backend rendered no {sim_main(net.top)} for '{net.top}'")
    target.mkdir()
    for name, text in files.items():
        (target / name).write_text(text)
    shutil.copytree(hls_library_dir() / "qnnflow", target / "qnnflow")
    return target


def export_driver_package(
    model: ModelWrapper,
    out_dir: str | Path,
    names: list[str] | None = None,
    weight_images: WeightHook | None = None,
    bitfile: str | None = None,
    include_model: bool = True,
    decoder: str = "pillow",
) -> AcceleratorPackage:
    """Write the driver package for a folded `model` into `out_dir` (created, replaced).

    `include_model` keeps model.onnx for the off-board backends (sim, python); the board
    does not need it. The numpy runtime is copied into `runtime/`; `decoder` is how the
    board decodes images (darknet: stb_image, compiled there from the shim's source)."""
    out = Path(out_dir)
    formats = stream_formats(model)
    net = check_against_codegen(model, formats)
    prefix, suffix = host_graphs(model, formats)
    package = replace_dir(
        out,
        lambda staging: _write(
            model,
            staging,
            formats,
            net,
            prefix,
            suffix,
            names,
            weight_images,
            bitfile,
            include_model,
            decoder,
        ),
    )
    package.root = out
    return package


def _write(model, out, formats, net, prefix, suffix, names, hook, bitfile, include_model, decoder):
    """Every file of the package into `out` (a staging folder renamed when complete)."""
    graph_in = model.graph.input[0].name
    save_host_graphs({"prefix": prefix, "suffix": suffix}, out / HOST_JSON, out / HOST_NPZ)
    heads = json.loads(model.get_metadata_prop(HEADS_KEY) or "[]")
    if names is None:
        names = list(heads[0].get("names", [])) if heads else []
    shape = [int(v) for v in model.get_tensor_shape(graph_in)]
    images = _weight_images(model, out, net, hook or _default_hook())
    if include_model:
        model.save(str(out / MODEL_ONNX))
    copy_runtime(out)
    if net is not None:
        write_sim_sources(model, net, out)
    top = net.top if net is not None else DEFAULT_TOP
    package = AcceleratorPackage(
        root=out,
        top=top,
        input=formats[0],
        outputs=formats[1],
        weights=tuple(images),
        heads=heads,
        names=list(names),
        net_input={
            "tensor": graph_in,
            "shape": shape,
            "height": shape[2] if len(shape) == 4 else None,
            "width": shape[3] if len(shape) == 4 else None,
        },
        bitfile=bitfile or f"{top}.bit",
        ip={
            "dma": "dma",
            "accelerator": "accel",
            "output_dmas": [output_dma_name(i) for i in range(len(formats[1]))],
        },
        control=bool(images),
        decoder=decoder,
    )
    package.save()
    return package
