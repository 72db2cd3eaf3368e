"""Block-RAM packing picks the cheapest aspect ratio."""

from qnnflow.ops.estimate import bram36_for, lutram_for


def test_bram36_aspect_ratios():
    assert bram36_for(0, 8) == 0
    assert bram36_for(1024, 36) == 1
    assert bram36_for(512, 72) == 1
    assert bram36_for(32768, 1) == 1
    assert bram36_for(1025, 36) == 2
    assert bram36_for(4608, 64) == 9  # nine 512x72 tiles beat ten 1024x36
    assert bram36_for(100, 1000) == 14  # wide and shallow: 512x72 tiles, ceil(1000/72)


def test_lutram_columns():
    assert lutram_for(64, 8) == 8
    assert lutram_for(65, 8) == 16
