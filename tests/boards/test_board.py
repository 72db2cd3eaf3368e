"""Board descriptions load with their budgets; bad names and files give clear errors."""

from __future__ import annotations

import pytest

from qnnflow.boards import load_board
from qnnflow.errors import QnnflowError


def test_pynq_z2_budget():
    board = load_board("pynq_z2")
    assert board.part == "xc7z020clg400-1"
    assert board.clock_mhz == 100.0
    assert board.resources == {
        "LUT": 53200,
        "FF": 106400,
        "BRAM36": 140,
        "DSP": 220,
        "LUTRAM": 17400,
    }
    assert 0 < board.ddr_bandwidth_mb_s <= board.extra["ddr"]["peak_bandwidth_mb_s"]


def test_unknown_board_lists_known_ones():
    with pytest.raises(QnnflowError, match="unknown board 'zcu999'.*pynq_z2"):
        load_board("zcu999")


def test_board_file_with_missing_field(tmp_path):
    path = tmp_path / "board.yaml"
    path.write_text("name: x\npart: y\n")
    with pytest.raises(QnnflowError, match="missing or invalid field"):
        load_board(str(path))
