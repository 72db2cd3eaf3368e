"""One RTL renderer module per hardware op type: `render(model, node) -> RtlLayerCode` maps
the op's attributes and initializers to kernel parameters and memory init files. Every module
here is imported, and each registers its render function with `@renders(op_type)`."""

from __future__ import annotations

import importlib
import pkgutil

from qonnx.core.modelwrapper import ModelWrapper

from qnnflow.backends.rtl.layer_code import RtlLayerCode
from qnnflow.backends.rtl.renderers import RENDERERS
from qnnflow.errors import QnnflowError

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")


def render_node(model: ModelWrapper, node) -> RtlLayerCode:
    """The RTL code of one hardware node; unsupported op types name the node."""
    render = RENDERERS.get(node.op_type)
    if render is None:
        raise QnnflowError(
            f"{node.op_type} '{node.name}': no RTL backend for this op type "
            f"(supported: {', '.join(sorted(RENDERERS)) or 'none yet'})"
        )
    return render(model, node)
