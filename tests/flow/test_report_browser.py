"""The micro build's report.html in a real browser (headless Chromium, Debian's package:
`make chromium`): the screenshot is not blank. Skips where Chromium is not installed."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

BROWSERS = ("chromium", "chromium-browser")
TIMEOUT_S = 120


def screenshot(html, png, tmp_path, width: int = 1280, height: int = 2000) -> None:
    """Chromium's rendering of `html` (a file) as `png`, or skip without Chromium."""
    browser = next((found for b in BROWSERS if (found := shutil.which(b))), None)
    if browser is None:
        pytest.skip("headless Chromium not installed (`make chromium`)")
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={png}",
        f"--window-size={width},{height}",
        html.resolve().as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_S)


@pytest.mark.slow
def test_the_report_renders_in_chromium(micro_build, tmp_path):
    _, root = micro_build
    png = tmp_path / "report.png"
    screenshot(root / "micro" / "report.html", png, tmp_path)
    pixels = np.asarray(Image.open(png).convert("L"), dtype=np.float64)
    assert pixels.shape == (2000, 1280)
    assert pixels.std() > 20, "blank screenshot"
    background = np.median(pixels)
    assert (np.abs(pixels - background) > 40).mean() > 0.05, "next to nothing drawn"
    dark = pixels[:400] < 100  # the headline's text sits in the first 400 rows
    assert dark.mean() > 0.005, "no headline text at the top"
