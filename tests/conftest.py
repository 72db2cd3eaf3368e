"""Shared fixtures: repository paths, the optional ../shared data folder and the small folded
models the driver and deploy-export tests share (built once per session)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
TINIER_YOLO_DIR = SHARED / "data" / "tinier-yolo"
DEFAULT_CFG = REPO_ROOT / "data" / "models" / "tinier-yolo-mini.cfg"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-shared",
        action="store_true",
        help="fail (not skip) the golden tests when ../shared/data/tinier-yolo is missing (CI)",
    )


@pytest.fixture
def tinier_yolo_dir(request: pytest.FixtureRequest) -> Path:
    """The trained Tinier-YOLO data beside the repo; tests skip cleanly when it is absent,
    unless --require-shared (CI) makes its absence a failure."""
    if not TINIER_YOLO_DIR.is_dir():
        message = f"shared data not found at {TINIER_YOLO_DIR}"
        if request.config.getoption("--require-shared"):
            pytest.fail(f"{message} (--require-shared)")
        pytest.skip(message)
    return TINIER_YOLO_DIR


@pytest.fixture
def default_cfg() -> Path:
    return DEFAULT_CFG


@pytest.fixture(scope="session")
def mini_folded(tmp_path_factory):
    from tests.driver.models import build_folded  # it imports this module

    return build_folded(tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="session")
def mini_ddr_folded(tmp_path_factory):
    from tests.driver.models import build_folded  # it imports this module

    return build_folded(tmp_path_factory.mktemp("mini_ddr"), stream_ddr=True)


@pytest.fixture
def restore_logging():
    """`qnnflow` reconfigures the root logger; put it back for the tests that follow."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
