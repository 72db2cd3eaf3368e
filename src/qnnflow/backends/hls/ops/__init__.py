"""One renderer module per hardware op type: `render(model, node) -> LayerCode` maps the
op's attributes and initializers to kernel template parameters and parameter files. Every
module here is imported, and each registers its render function with `@renders(op_type)`."""

from __future__ import annotations

import importlib
import pkgutil

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.hls.layer_code import LayerCode
from qnnflow.backends.hls.renderers import RENDERERS
from qnnflow.errors import QnnflowError

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")

# op type -> the module that renders it (what a trimmed runtime copy must contain)
RENDERER_MODULES = {op: fn.__module__ for op, fn in sorted(RENDERERS.items())}


def render_node(model: ModelWrapper, node) -> LayerCode:
    """The HLS code of one hardware node; unsupported op types name the node."""
    render = RENDERERS.get(node.op_type)
    if render is None:
        raise QnnflowError(
            f"{node.op_type} '{node.name}': no HLS backend for this op type "
            f"(supported: {', '.join(sorted(RENDERERS))})"
        )
    return render(model, node)
