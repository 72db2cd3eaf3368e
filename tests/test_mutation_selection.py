"""`make mutation`'s test selection (tools/mutation_selection.py, tools/mutmut_own_tests.py):
every streamline module has own test files that exist, and a mutant's tests are cut to them."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


selection = _load("mutation_selection")


def test_every_streamline_module_has_its_own_existing_tests():
    stems = selection.modules()
    assert {"__init__", "least_float32", "quant_act_to_multithreshold", "patterns"} <= set(stems)
    assert selection.missing_entries() == []
    table = selection.test_map()
    for stem in stems:
        files = table[f"{selection.PACKAGE}.{stem}"]
        assert files, stem
        # no module is left to the network tests alone
        assert not {Path(f).name for f in files} <= selection.NETWORK_TESTS, stem


def test_a_missing_test_file_is_reported(monkeypatch):
    monkeypatch.setitem(selection.OWN_TESTS, "least_float32", ["test_no_such_file.py"])
    assert selection.missing_entries() == [f"least_float32: {selection.TESTS}/test_no_such_file.py"]


def test_the_shared_helpers_take_every_rule_test_but_the_network_ones():
    files = {Path(f).name for f in selection.own_tests("patterns")}
    assert "test_absorb_mul_into_multithreshold.py" in files
    assert not files & selection.NETWORK_TESTS


def test_mutant_tests_are_narrowed_to_the_module_files():
    pytest.importorskip("mutmut")
    launcher = _load("mutmut_own_tests")
    own = selection.test_map(["least_float32", "__init__"])
    rule = f"{selection.PACKAGE}.least_float32.x__bisect"
    package = f"{selection.PACKAGE}.xǁStreamlineǁapply"
    other = "qnnflow.packing.x_pack"
    ties = f"{selection.TESTS}/test_quant_rounding_ties.py::test_a[1]"
    network = f"{selection.TESTS}/test_streamline.py::test_b"
    tests = {rule: {ties, network}, package: {ties, network}, other: {network}}
    launcher.narrow(tests, own)
    assert tests == {rule: {ties}, package: {ties, network}, other: {network}}


def test_survivors_are_retried(tmp_path):
    pytest.importorskip("mutmut")
    launcher = _load("mutmut_own_tests")
    meta = tmp_path / "src" / "a.py.meta"
    meta.parent.mkdir()
    codes = {"m1": 0, "m2": 1, "m3": 33, "m4": None, "m5": 36}
    meta.write_text(json.dumps({"exit_code_by_key": codes, "durations_by_key": {}}))
    assert launcher.clear_survivors(tmp_path) == 2
    left = json.loads(meta.read_text())["exit_code_by_key"]
    assert left == {"m1": None, "m2": 1, "m3": None, "m4": None, "m5": 36}
