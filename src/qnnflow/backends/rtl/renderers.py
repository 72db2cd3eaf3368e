"""The RTL renderer registry: a renderer module declares the op it renders with
`@renders("OpType")` on its `render(model, node) -> RtlLayerCode`, and is found by living
in qnnflow.backends.rtl.ops (no list to edit)."""

from __future__ import annotations

from collections.abc import Callable

RENDERERS: dict[str, Callable] = {}  # op type -> render function


def renders(op_type: str) -> Callable[[Callable], Callable]:
    """Register the decorated function as the RTL renderer of `op_type`."""

    def register(render: Callable) -> Callable:
        if RENDERERS.get(op_type, render) is not render:
            raise ValueError(f"two RTL renderers for {op_type}: {RENDERERS[op_type]} and {render}")
        RENDERERS[op_type] = render
        return render

    return register
