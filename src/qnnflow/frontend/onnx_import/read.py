"""Read an .onnx file and check its structure (graph, inputs, outputs, opset, known ops)
before anything executes it, so a malformed file is one OnnxError, never a parser traceback."""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import ModelProto

from qnnflow.errors import OnnxError

STANDARD_DOMAINS = ("", "ai.onnx")
MIN_OPSET = 7  # the oldest ai.onnx opset onnxruntime guarantees to run
# QONNX quantizers that older exporters left in the default domain
QONNX_IN_DEFAULT_DOMAIN = ("Quant", "BipolarQuant", "Trunc")
QONNX_DOMAIN = "qonnx.custom_op.general"


def first_line(exc: BaseException) -> str:
    """An exception's message on one line (checkers and runtimes print several)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def read_model_proto(path: Path) -> ModelProto:
    """The file's ModelProto; empty, truncated or non-ONNX files are refused."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise OnnxError(f"cannot read: {exc.strerror}", path) from None
    if size == 0:
        raise OnnxError("empty file (0 bytes), not an ONNX model", path)
    try:
        proto = onnx.load(str(path))
    except Exception as exc:  # noqa: BLE001 - protobuf/external-data errors all mean bad input
        raise OnnxError(
            f"not a readable ONNX model ({size} bytes: truncated, or another format?): "
            f"{type(exc).__name__}: {first_line(exc)}",
            path,
        ) from None
    if not proto.HasField("graph") or proto.ir_version <= 0:
        raise OnnxError(
            f"not an ONNX model: {size} bytes parse to no graph / ir_version "
            f"{proto.ir_version} (truncated, or another format?)",
            path,
        )
    if proto.ir_version > onnx.IR_VERSION:
        raise OnnxError(
            f"ir_version {proto.ir_version} is newer than this onnx supports ({onnx.IR_VERSION})",
            path,
        )
    return proto


def default_opset(proto: ModelProto, path: Path) -> int:
    """The ai.onnx opset version, checked against what onnx and onnxruntime know."""
    versions = {o.domain: o.version for o in proto.opset_import}
    newest = onnx.defs.onnx_opset_version()
    version = versions.get("", versions.get("ai.onnx"))
    if version is None:
        raise OnnxError("opset_import has no ai.onnx (default domain) entry", path)
    if not MIN_OPSET <= version <= newest:
        raise OnnxError(
            f"opset_import: ai.onnx opset {version} is outside the supported {MIN_OPSET}..{newest}",
            path,
        )
    return version


def node_label(node: onnx.NodeProto, index: int) -> str:
    """How an error names a node: by name when it has one, else by position."""
    where = f"'{node.name}'" if node.name else str(index)
    return f"node {where} ({node.op_type})"


def check_ops_known(proto: ModelProto, opset: int, path: Path) -> None:
    """Every node is an ai.onnx op of the model's opset or a registered custom (QONNX,
    qnnflow) op; the first unknown one is named."""
    from qonnx.custom_op.registry import is_custom_op

    for index, node in enumerate(proto.graph.node):
        label = node_label(node, index)
        if node.domain in STANDARD_DOMAINS:
            try:
                onnx.defs.get_schema(node.op_type, opset, "")
            except onnx.defs.SchemaError:
                raise OnnxError(
                    f"{label}: op '{node.op_type}' is not an ai.onnx op at opset {opset}", path
                ) from None
        elif not is_custom_op(node.domain, node.op_type):
            raise OnnxError(
                f"{label}: unsupported op '{node.op_type}' of domain '{node.domain}' "
                f"(not ai.onnx, not a registered QONNX/qnnflow custom op)",
                path,
            )


def move_qonnx_quantizers(proto: ModelProto) -> None:
    """Default-domain Quant/BipolarQuant/Trunc nodes are QONNX's: give them its domain (as
    TidyUp would) so the ONNX checker and the op check know them."""
    moved = False
    for node in proto.graph.node:
        if node.domain in STANDARD_DOMAINS and node.op_type in QONNX_IN_DEFAULT_DOMAIN:
            node.domain, moved = QONNX_DOMAIN, True
    if moved and QONNX_DOMAIN not in {o.domain for o in proto.opset_import}:
        proto.opset_import.append(onnx.helper.make_opsetid(QONNX_DOMAIN, 1))


def import_custom_domains(proto: ModelProto) -> None:
    """qonnx saves custom-domain nodes (ours, QONNX's) without an opset_import entry; their
    ops are unversioned, so version 1 is what the ONNX checker needs to accept them."""
    imported = {o.domain for o in proto.opset_import}
    for domain in sorted({n.domain for n in proto.graph.node} - imported - set(STANDARD_DOMAINS)):
        proto.opset_import.append(onnx.helper.make_opsetid(domain, 1))


def check_structure(proto: ModelProto, path: Path) -> int:
    """Nodes, one graph input, outputs, opset and ops; returns the ai.onnx opset."""
    graph = proto.graph
    initializers = {t.name for t in graph.initializer}
    inputs = [i.name for i in graph.input if i.name not in initializers]
    if not graph.node:
        raise OnnxError("the graph has no nodes", path)
    if len(inputs) != 1:
        raise OnnxError(
            f"the graph has {len(inputs)} inputs ({', '.join(inputs) or 'none'}); "
            "qnnflow compiles single-input models",
            path,
        )
    if not graph.output:
        raise OnnxError("the graph has no outputs", path)
    opset = default_opset(proto, path)
    move_qonnx_quantizers(proto)
    check_ops_known(proto, opset, path)
    import_custom_domains(proto)
    try:
        onnx.checker.check_model(proto)
    except (onnx.checker.ValidationError, ValueError) as exc:
        raise OnnxError(f"invalid ONNX: {first_line(exc)}", path) from None
    return opset
