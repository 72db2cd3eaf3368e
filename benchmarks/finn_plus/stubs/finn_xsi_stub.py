"""Stand-in for `finn.xsi` so finn-plus imports without Vivado.

finn-plus binds `finn.xsi.SimEngine` (and the other RTL-simulation entry points) at import
time of its build steps; the real module then needs `XILINX_VIVADO` and a compiled `xsi.so`.
The estimate-only build never simulates, so every name here raises if it is ever called.
A `.pth` file in the benchmark's own venv calls `install()`; nothing else sees this module.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types

MODULE = "finn.xsi"


class XsiUnavailableError(RuntimeError):
    """Raised by every stubbed entry point: RTL simulation needs Vivado's XSI."""


def _unavailable(*_args: object, **_kwargs: object) -> None:
    raise XsiUnavailableError("finn.xsi is stubbed in this benchmark venv (no Vivado)")


class SimEngine:
    """Placeholder type for annotations; constructing it raises."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        _unavailable()


def _stub_module() -> types.ModuleType:
    module = types.ModuleType(MODULE, __doc__)
    module.SimEngine = SimEngine
    for name in (
        "locate_glbl",
        "compile_sim_obj",
        "get_simkernel_so",
        "load_sim_obj",
        "reset_rtlsim",
        "close_rtlsim",
        "rtlsim_multi_io",
        "ensure_available",
    ):
        setattr(module, name, _unavailable)
    module.is_available = lambda: False
    return module


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers `import finn.xsi` with the stub before the real submodule is found."""

    def find_spec(self, fullname, path=None, target=None):  # noqa: ANN001, ANN201
        if fullname != MODULE:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec):  # noqa: ANN001, ANN201
        return _stub_module()

    def exec_module(self, module) -> None:  # noqa: ANN001
        return None


def install() -> None:
    """Put the finder first on sys.meta_path (idempotent)."""
    if not any(isinstance(f, _StubFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _StubFinder())
