"""Template filling: Python values become the Tcl words tclsh reads back, and a template
and its values must match exactly."""

from __future__ import annotations

import subprocess

import pytest

from qnnflow.backends.vivado.tcl_template import TemplateError, fill, tcl_word
from tests.backends.tcl_stub import tclsh


def test_words_read_back_by_tclsh(tmp_path):
    values = {
        "plain": "xc7z020clg400-1",
        "spaced": "16 Bit",
        "nested": {1: ["m_axi_w6"], 2: ["m_axi_w7", "m_axi_w5"]},
        "empty": "",
        "flag": True,
        "period": 10.0,
    }
    script = "".join(f"set {k} {tcl_word(v)}\n" for k, v in values.items())
    script += (
        "puts [llength $spaced]|[dict get $nested 2]|[string length $empty]|$flag"
        "|[expr {$period * 2}]|$plain\n"
    )
    (tmp_path / "t.tcl").write_text(script)
    out = subprocess.run([tclsh(), str(tmp_path / "t.tcl")], capture_output=True, text=True)
    assert out.stdout.strip() == "2|m_axi_w7 m_axi_w5|0|1|20.0|xc7z020clg400-1"


def test_unquotable_values_are_refused():
    with pytest.raises(TemplateError, match="cannot be quoted"):
        tcl_word("a}b")
    with pytest.raises(TemplateError, match="no Tcl form"):
        tcl_word(object())  # type: ignore[arg-type]


def test_placeholders_and_values_must_match(tmp_path):
    template = tmp_path / "x.tcl.in"
    template.write_text("set a @alpha@\nset b @beta@\n")
    assert fill(template, {"alpha": 1, "beta": "two words"}) == "set a 1\nset b {two words}\n"
    with pytest.raises(TemplateError, match="no value for placeholder.*beta"):
        fill(template, {"alpha": 1})
    with pytest.raises(TemplateError, match="gamma have no placeholder"):
        fill(template, {"alpha": 1, "beta": 2, "gamma": 3})
