"""One micro build (every tool-free step) shared by the reproducibility and resume tests;
tests that change it work on a copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qnnflow.flow import run_build
from tests.flow.micro import micro_config, micro_model


@pytest.fixture(scope="session")
def micro_build(tmp_path_factory) -> tuple[Path, Path]:
    """(the micro .cfg, the output root of its finished build up to the report)."""
    root = tmp_path_factory.mktemp("micro")
    model = micro_model(root / "model")
    run_build(micro_config(model, root / "first", to_step="report"))
    return model, root / "first"


@pytest.fixture
def micro_copy(micro_build, tmp_path) -> tuple[Path, Path]:
    """A private copy of the micro build's output root, to delete and change files in."""
    model, first = micro_build
    shutil.copytree(first, tmp_path / "copy")
    return model, tmp_path / "copy"
