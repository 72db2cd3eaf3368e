"""Out-of-context Yosys synthesis of the RTL backend's layers (and of the stitched top) for
real 7-series resource counts: `synth_xilinx -family xc7 -noiopad -noclkbuf -flatten`, `stat`.

Each design is written with its kernels and .mem files into a temporary folder (Yosys runs
there, so `$readmemh` finds bare file names) and synthesized with `-top <name>`; the result
(stat JSON and log) is cached by the hash of every source, file and the script, in a private
folder pruned by size like the g++ cache. Layers run in parallel, one Yosys process per
core, each under qnnflow.toolchain's "yosys" timeout.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from qnnflow import toolchain
from qnnflow.backends.hls import cpp_cache
from qnnflow.backends.rtl.layer_code import kernel_sources
from qnnflow.errors import QnnflowError
from qnnflow.util import progress

log = logging.getLogger(__name__)

SYNTH_COMMAND = "synth_xilinx -family xc7 -noiopad -noclkbuf -flatten"  # as Vivado: one netlist
CACHE_CAP_BYTES = 256 * 2**20  # stat + log per entry: thousands of layers fit
STAT_FILE, LOG_FILE, FAILED_LOG = "stat.json", "synth.log", "failed.log"
NO_DSP = "use_dsp_no"  # the selection of multipliers kept off DSPs
CANONICAL_TOP = "qnnflow_synth_top"  # a layer's name while it is synthesized

LOGIC_LUTS = {f"LUT{i}": 1 for i in range(1, 7)} | {"INV": 1}  # INV becomes a LUT1
# LUTs each distributed-memory cell occupies (7-series SLICEM: 64 bits per LUT)
MEMORY_LUTS = {
    "RAM16X1S": 1, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4,
    "RAM16X1D": 2, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4,
    "RAM32M": 4, "RAM64M": 4, "SRL16E": 1, "SRLC16E": 1, "SRLC32E": 1,
}  # fmt: skip
BRAM36_TILES = {"RAMB36E1": 1.0, "FIFO36E1": 1.0, "RAMB18E1": 0.5, "FIFO18E1": 0.5}
FLIP_FLOPS = ("FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE")


class SynthError(QnnflowError):
    """Yosys rejected a design or found no module: names the design and the first error."""


class RtlDesign(Protocol):
    """What synthesis reads of an RtlLayerCode (`kernels` are rtl/qnnflow/ file names)."""

    name: str
    wrapper: str
    kernels: tuple[str, ...]
    files: dict[str, str]


@dataclass(frozen=True)
class SynthResult:
    """One design's synthesized resources (LUT counts every LUT, logic and memory, as the
    ops' estimates and the board budget do; LUTRAM is the memory part) and Yosys' cells."""

    name: str
    resources: dict[str, float]
    cells: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    cached: bool = False


def resources_from_cells(cells: Mapping[str, int]) -> dict[str, float]:
    """Yosys' Xilinx cell counts -> LUT, FF, BRAM36, LUTRAM, DSP, CARRY4."""
    lutram = sum(n * MEMORY_LUTS.get(cell, 0) for cell, n in cells.items())
    logic = sum(n * LOGIC_LUTS.get(cell, 0) for cell, n in cells.items())
    return {
        "LUT": float(logic + lutram),
        "FF": float(sum(n for cell, n in cells.items() if cell in FLIP_FLOPS)),
        "BRAM36": sum(n * BRAM36_TILES.get(cell, 0.0) for cell, n in cells.items()),
        "LUTRAM": float(lutram),
        "DSP": float(cells.get("DSP48E1", 0)),
        "CARRY4": float(cells.get("CARRY4", 0)),
    }


def parse_stat(text: str) -> dict[str, int]:
    """The whole design's cell counts from `stat -json` (synth_xilinx flattens it)."""
    try:
        design = json.loads(text)["design"]
    except (ValueError, KeyError) as exc:
        raise SynthError(f"unreadable Yosys stat output ({exc})") from None
    return {str(k): int(v) for k, v in design.get("num_cells_by_type", {}).items()}


def yosys_script(top: str, sources: Sequence[str]) -> str:
    """Read the sources, synthesize for 7-series with `top` on top, write the stats.
    synth_xilinx maps every multiplier to DSP48E1s and ignores `(* use_dsp = "no" *)`, so
    the multipliers driving (directly or through a cast) a wire so marked are mapped to
    logic first, as Vivado would build them."""
    return "\n".join(
        [
            f"read_verilog -sv {' '.join(sources)}",
            f"hierarchy -check -top {top}",
            "proc",
            "flatten",
            "opt_clean",
            f"select -set {NO_DSP} w:* a:use_dsp=no %i %ci2:+$mul[Y]:+$pos[A,Y] t:$mul %i",
            f"techmap -map +/techmap.v @{NO_DSP}",
            f"{SYNTH_COMMAND} -top {top}",
            f"tee -q -o {STAT_FILE} stat -json",
            "",
        ]
    )


def _cache_key(script: str, files: Mapping[str, str]) -> str:
    digest = hashlib.sha256(SYNTH_COMMAND.encode() + b"\0" + script.encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest()[:24]


def _first_error(log_text: str) -> str:
    lines = [line.strip() for line in log_text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines[-1:] or ["empty log"])[0][:300]


def _run_yosys(top: str, files: Mapping[str, str], script: str, timeout_s: float | None):
    """Run Yosys on `files` in a temporary folder; returns (stat text, log text)."""
    with tempfile.TemporaryDirectory(prefix="qnnflow-synth-") as tmp:
        folder = Path(tmp)
        for name, text in files.items():
            (folder / name).write_text(text)
        (folder / "synth.ys").write_text(script)
        command = [str(toolchain.require_yosys()), "-q", "-l", LOG_FILE, "-s", "synth.ys"]
        result = toolchain.run_with_timeout(
            command,
            "yosys",
            f"synthesizing {top}",
            timeout_s,
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        log_path = folder / LOG_FILE
        log_text = log_path.read_text(errors="replace") if log_path.is_file() else ""
        log_text = log_text or result.stdout.decode(errors="replace")
        stat_path = folder / STAT_FILE
        if result.returncode != 0 or not stat_path.is_file():
            return None, log_text
        return stat_path.read_text(), log_text


def synthesize_files(
    top: str,
    files: Mapping[str, str],
    sources: Sequence[str],
    *,
    cache_dir: Path | None = None,
    timeout_s: float | None = None,
) -> SynthResult:
    """Synthesize `sources` (names among `files`, read in this order) with `top` on top;
    a design synthesized before (same files, same script) is read from the cache."""
    script = yosys_script(top, sources)
    root = Path(cache_dir) if cache_dir is not None else toolchain.synth_cache_dir()
    folder = cpp_cache.entry_folder(root, _cache_key(script, files))
    cached = folder / STAT_FILE
    if cached.is_file():
        cpp_cache.mark_used(folder)
        cells = parse_stat(cached.read_text())
        return SynthResult(top, resources_from_cells(cells), cells, 0.0, cached=True)
    began = time.perf_counter()
    stat, log_text = _run_yosys(top, files, script, timeout_s)
    seconds = time.perf_counter() - began
    if stat is None:
        (folder / FAILED_LOG).write_text(log_text)
        raise SynthError(
            f"Yosys failed on {top}: {_first_error(log_text)}; log: {folder / FAILED_LOG}"
        )
    cells = parse_stat(stat)
    (folder / LOG_FILE).write_text(log_text)
    partial = folder / f"{STAT_FILE}.{os.getpid()}.partial"
    partial.write_text(stat)
    os.replace(partial, cached)  # the stat file marks a complete entry
    cpp_cache.prune(root, CACHE_CAP_BYTES, keep=folder)
    log.info("synthesized %s in %.1f s: %s", top, seconds, resources_from_cells(cells))
    return SynthResult(top, resources_from_cells(cells), cells, seconds)


def design_files(designs: Sequence[RtlDesign]) -> tuple[dict[str, str], list[str]]:
    """Every file the designs need (library kernels, wrappers, .mem files) and the sources
    to read, kernels first; one name holding two different texts is an error."""
    files: dict[str, str] = {}
    sources: list[str] = []

    def put(name: str, text: str, owner: str) -> None:
        if files.get(name, text) != text:
            raise SynthError(f"{owner}: file {name} differs from another layer's {name}")
        files[name] = text

    for design in designs:
        for kernel, text in kernel_sources(design.kernels).items():
            put(kernel, text, design.name)
            if kernel.endswith((".sv", ".v")) and kernel not in sources:
                sources.append(kernel)
        for name, text in design.files.items():
            put(name, text, design.name)
    for design in designs:
        put(f"{design.name}.sv", design.wrapper, design.name)
        sources.append(f"{design.name}.sv")
    return files, sources


def _canonical(code: RtlDesign) -> tuple[dict[str, str], list[str]]:
    """The layer's files with its name replaced by CANONICAL_TOP, so that layers that
    differ only in name (FIFOs, converters) share one synthesis and one cache entry."""
    files, sources = design_files([code])
    files = {
        k.replace(code.name, CANONICAL_TOP): v.replace(code.name, CANONICAL_TOP)
        for k, v in files.items()
    }
    return files, [source.replace(code.name, CANONICAL_TOP) for source in sources]


def synthesize_layer(
    code: RtlDesign, *, cache_dir: Path | None = None, timeout_s: float | None = None
) -> SynthResult:
    """One layer out of context: its wrapper on top, its kernels and memory files."""
    files, sources = _canonical(code)
    try:
        result = synthesize_files(
            CANONICAL_TOP, files, sources, cache_dir=cache_dir, timeout_s=timeout_s
        )
    except SynthError as exc:
        raise SynthError(str(exc).replace(CANONICAL_TOP, code.name)) from None
    return replace(result, name=code.name)


def synthesize_layers(
    codes: Sequence[RtlDesign],
    *,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    timeout_s: float | None = None,
) -> list[SynthResult | QnnflowError]:
    """Every layer, in order, `jobs` Yosys processes at a time (default: one per core);
    layers equal but for their names are synthesized once. A layer Yosys fails on (or
    that times out) gives its error in its place, so the others are still measured."""
    first: dict[str, RtlDesign] = {}
    keys = []
    for code in codes:
        files, sources = _canonical(code)
        keys.append(_cache_key(yosys_script(CANONICAL_TOP, sources), files))
        first.setdefault(keys[-1], code)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(first) or 1))
    with (
        progress.task("Yosys, distinct layers", len(first)) as done,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        futures = {
            key: pool.submit(synthesize_layer, code, cache_dir=cache_dir, timeout_s=timeout_s)
            for key, code in first.items()
        }
        for future in futures.values():
            future.add_done_callback(lambda _: done.advance())
    results: list[SynthResult | QnnflowError] = []
    for code, key in zip(codes, keys, strict=True):
        try:
            results.append(replace(futures[key].result(), name=code.name))
        except QnnflowError as exc:
            results.append(exc)
    return results


def synthesize_top(
    layers: Sequence[RtlDesign],
    top_name: str,
    top_source: str,
    *,
    kernels: Sequence[str] = (),
    cache_dir: Path | None = None,
    timeout_s: float | None = None,
) -> SynthResult:
    """The stitched accelerator: every layer's wrapper and kernels under `top_source`
    (module `top_name` and any modules around the layers, e.g. a core and its DMA-side
    adapters) plus the library `kernels` those need (rtl/qnnflow/ file names)."""
    files, sources = design_files(layers)
    for kernel, text in kernel_sources(tuple(kernels)).items():
        if files.setdefault(kernel, text) != text:
            raise SynthError(f"{top_name}: kernel {kernel} differs from a layer's {kernel}")
        if kernel not in sources:
            sources.insert(0, kernel)
    top_file = f"{top_name}.sv"
    if top_file in files:
        raise SynthError(f"the top {top_name} has the name of one of its layers")
    files[top_file] = top_source
    sources.append(top_file)
    with progress.task(f"Yosys {top_name}"):
        return synthesize_files(top_name, files, sources, cache_dir=cache_dir, timeout_s=timeout_s)
