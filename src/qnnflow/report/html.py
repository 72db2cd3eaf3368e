"""report.html: one self-contained page (inline CSS and SVG, no script, no external
reference) that opens offline and from the deploy zip: headline, plots, then the long
sections collapsed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from qnnflow.report.detections import Drawn
from qnnflow.report.headline import Row
from qnnflow.report.plots import Plot
from qnnflow.report.sections import Section

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
 color:#1f2933;background:#f5f7fa;margin:0}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:30px 0 10px}
.sub{color:#52606d;margin:0 0 18px}
table{border-collapse:collapse;background:#fff;font-size:13px}
td,th{font-variant-numeric:tabular-nums;border-bottom:1px solid #e4e7eb;padding:5px 10px;
 text-align:left;vertical-align:top}
th{background:#eef2f6}
table.headline{width:100%;font-size:15px;box-shadow:0 1px 3px #0002;border-radius:6px}
table.headline td:first-child{width:190px;font-weight:600;color:#3e4c59;white-space:nowrap}
tr.ok td:first-child{border-left:5px solid #3f9142}
tr.warn td:first-child{border-left:5px solid #de911d}
tr.bad td:first-child{border-left:5px solid #d1495b}
tr.info td:first-child{border-left:5px solid #9aa5b1}
tr.bad td:last-child{color:#ab091e;font-weight:600}
code{font:12.5px ui-monospace,"DejaVu Sans Mono",monospace;background:#eef2f6;
 padding:1px 4px;border-radius:3px;word-break:break-all}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px;
 align-items:start}
figure{margin:0;background:#fff;padding:12px;border-radius:6px;box-shadow:0 1px 3px #0002}
figure svg,figure img{width:100%;height:auto}
details{background:#fff;margin:8px 0;padding:8px 14px;border-radius:6px;
 box-shadow:0 1px 3px #0002;overflow-x:auto}
summary{cursor:pointer;font-weight:600;font-size:16px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 16px}
.card{background:#fff;border-radius:6px;box-shadow:0 1px 3px #0002;padding:10px 16px;
 min-width:130px;border-top:4px solid #9aa5b1}
.card.ok{border-top-color:#3f9142}.card.warn{border-top-color:#de911d}
.card.bad{border-top-color:#d1495b}
.card b{display:block;font-size:24px;line-height:1.2}
.card span{color:#52606d;font-size:13px}
"""
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)  # xml declaration, DOCTYPE (a DTD URL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)  # RDF with URLs
_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')  # an inline SVG needs no namespace URL
_CODE = re.compile(r"`([^`]+)`")


def inline_svg(svg: str) -> str:
    """matplotlib's SVG file text as an element to put in HTML, without any URL."""
    return _XMLNS.sub("", _METADATA.sub("", _PROLOGUE.sub("", svg, count=1)))


def _inline(text: str) -> str:
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", escape(text, quote=False))


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def markdown_html(text: str) -> str:
    """The markdown our sections use (pipe tables, headings, `-` lists, paragraphs)."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(lines[i])
                i += 1
            head, body = _cells(block[0]), [_cells(r) for r in block[2:]]
            out.append("<table><tr>" + "".join(f"<th>{_inline(c)}</th>" for c in head) + "</tr>")
            for cells in body:
                out.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in cells) + "</tr>")
            out.append("</table>")
            continue
        if line.startswith("#"):
            level = min(6, len(line) - len(line.lstrip("#")) + 1)
            out.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
        elif line.startswith("- "):
            out.append(f"<ul><li>{_inline(line[2:])}</li></ul>")
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
        i += 1
    return "\n".join(out).replace("</ul>\n<ul>", "\n")


def _shown(rows: Sequence[Row], portable: bool) -> list[tuple[Row, str]]:
    """The rows with the value to show; `portable` swaps or drops machine-specific ones."""
    shown = []
    for row in rows:
        if portable and row.machine:
            if row.portable is not None:
                shown.append((row, row.portable))
        else:
            shown.append((row, row.value))
    return shown


def _cards(rows: Sequence[Row], portable: bool) -> str:
    """The few headline numbers as large cards above the table."""
    cards = [
        f'<div class="card {row.level}{" machine" if row.machine else ""}">'
        f"<b>{escape(row.card)}</b><span>{escape(row.label)}</span></div>"
        for row, _ in _shown(rows, portable)
        if row.card is not None
    ]
    return f'<div class="cards">{"".join(cards)}</div>' if cards else ""


def _headline(rows: Sequence[Row], portable: bool) -> str:
    out = ['<table class="headline">']
    for row, value in _shown(rows, portable):
        machine = " machine" if row.machine else ""
        out.append(
            f'<tr class="{row.level}{machine}" id="h-{row.key}"><td>{escape(row.label)}</td>'
            f"<td>{_inline(value)}</td></tr>"
        )
    return "\n".join(out + ["</table>"])


def report_html(
    title: str,
    subtitle: str,
    rows: Sequence[Row],
    plots: Sequence[Plot],
    sections: Sequence[Section],
    portable: bool = False,
    drawn: Sequence[Drawn] = (),
) -> str:
    """The page; `portable` leaves out what holds this machine's timings and paths (the
    copy in the deploy package is then the same for the same build)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="sub">{escape(subtitle)}</p>',
        _cards(rows, portable),
        _headline(rows, portable),
    ]
    if plots:
        parts.append('<h2>Plots</h2><div class="plots">')
        for plot in plots:
            parts.append(
                f'<figure id="plot-{plot.name}" title="{escape(plot.title)}">'
                f"{inline_svg(plot.svg)}</figure>"
            )
        parts.append("</div>")
    if drawn:
        parts.append('<h2>Detections</h2><div class="plots">')
        for image in drawn:
            name = escape(image.path.rsplit("/", 1)[-1])
            parts.append(
                f'<figure title="{name}"><img alt="{name}" src="{image.data_uri()}"></figure>'
            )
        parts.append("</div>")
    parts.append("<h2>Details</h2>")
    for section in sections:
        if portable and section.machine:
            continue
        machine = ' class="machine"' if section.machine else ""
        parts.append(
            f"<details{machine}><summary>{escape(section.title)}</summary>"
            f"{markdown_html(section.markdown)}</details>"
        )
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"
