"""Brevitas-exported QONNX test networks (exported once per test process)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def brevitas_qonnx(tmp_path_factory):
    """A function name -> cleaned-up QONNX ModelWrapper of tests.brevitas_models.SPECS[name]."""
    pytest.importorskip("brevitas")
    from tests.brevitas_models import exported

    directory = tmp_path_factory.mktemp("brevitas")
    return lambda name, seed=0: exported(name, directory, seed)
