"""Checks the report tests share: an SVG plot draws something, an HTML page references
nothing outside itself."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

SVG_NS = "{http://www.w3.org/2000/svg}"
# matplotlib names each drawn patch patch_N (1: figure background, 2: axes background) and
# each scatter a PathCollection
MARK = re.compile(r'id="(patch_([3-9]|\d\d+)|PathCollection_\d+)"')
REFERENCE = re.compile(r"""(?<![\w-])(?:src|href|action|poster|data)\s*=\s*["']?([^"'\s>]*)""")


def drawn_marks(svg: Path) -> int:
    """How many bars, patches and scatter groups `svg` draws (0: an empty axes); it must
    parse as an SVG document."""
    text = svg.read_text()
    assert ET.fromstring(text.encode()).tag == f"{SVG_NS}svg", svg
    return len(MARK.findall(text))


def external_references(html: str) -> list[str]:
    """Every way the page could reach outside itself: URLs, src/href values other than a
    fragment or inline data,
    scripts, stylesheets, imports and url()s but to a fragment."""
    found = re.findall(r"[a-z][a-z0-9+.-]*://[^\s\"'<>)]*", html, flags=re.IGNORECASE)
    found += [v for v in REFERENCE.findall(html) if not v.startswith(("#", "data:"))]
    found += re.findall(r"<script|<link|<iframe|<object|<embed|@import", html, re.I)
    found += re.findall(r"url\((?!\s*['\"]?#)[^)]*\)", html, re.I)  # url(#clip) is inside
    return found
