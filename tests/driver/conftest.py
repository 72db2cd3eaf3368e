"""Folded models shared by the driver tests (built once per session)."""

from __future__ import annotations

import pytest

from tests.driver.models import build_folded


@pytest.fixture(scope="session")
def mini_folded(tmp_path_factory):
    return build_folded(tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="session")
def mini_ddr_folded(tmp_path_factory):
    return build_folded(tmp_path_factory.mktemp("mini_ddr"), stream_ddr=True)
