"""Darknet label lines: normalisation, round trip, and errors that name file:line."""

from __future__ import annotations

import numpy as np
import pytest

from qnnflow.data.labels import format_labels, parse_labels, pixel_to_normalised
from qnnflow.errors import QnnflowError


def test_pixel_boxes_normalise_to_centre_and_size():
    out = pixel_to_normalised(np.array([[10, 20, 50, 40]]), 100, 200)
    assert np.allclose(out, [[0.3, 0.15, 0.4, 0.1]])


def test_round_trip_keeps_boxes_to_a_millionth():
    rng = np.random.default_rng(0)
    boxes = np.column_stack([rng.uniform(0.2, 0.8, (7, 2)), rng.uniform(0.05, 0.4, (7, 2))])
    classes = rng.integers(0, 4, 7)
    text = format_labels(boxes, classes)
    assert len(text.splitlines()) == 7 and text.endswith("\n")
    back, back_classes = parse_labels(text, 4)
    assert np.array_equal(back_classes, classes)
    assert np.abs(back - boxes).max() <= 5e-7
    empty_boxes, empty_classes = parse_labels("\n", 4)
    assert empty_boxes.shape == (0, 4) and empty_classes.shape == (0,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 0.5 0.5 0.1\n", "f.txt:1: expected 'class cx cy w h'"),
        ("\n0 0.5 0.5 0.1 x\n", "f.txt:2: not numbers"),
        ("4 0.5 0.5 0.1 0.1\n", "class 4 outside 0..3"),
        ("1 0.5 0.5 0.0 0.1\n", "not normalised"),
        ("1 1.5 0.5 0.1 0.1\n", "not normalised"),
    ],
)
def test_malformed_lines_are_clear_errors(text, message):
    with pytest.raises(QnnflowError, match=message):
        parse_labels(text, 4, "f.txt")
