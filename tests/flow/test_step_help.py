"""`qnnflow build --help` lists every step with a whole sentence, never cut mid-line."""

from __future__ import annotations

import re

from qnnflow.flow.steps import step_help, step_names


def test_every_step_has_a_complete_entry():
    entries = re.split(r"\n(?=\d\d \w+: )", step_help())
    assert [e.split(":")[0] for e in entries] == [
        f"{i:02d} {name}" for i, name in enumerate(step_names(), start=1)
    ]
    for entry in entries:
        text = " ".join(entry.split())
        assert text.endswith((".", ")")), entry  # the paragraph's end, not a line's
        assert all(len(line) <= 88 for line in entry.splitlines())
