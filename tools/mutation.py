"""`make mutation`: mutmut over the numeric core, one group of modules at a time, each with
only the fast tests of its area, and the kill rate per module.

A group runs in build/mutation/<group>/ (links to src/, tests/, hls/, boards/, data/ and a
pyproject.toml of its own: mutmut reads its options from the working directory), so the
groups' test selections and results stay apart. mutmut itself picks, for every mutant, the
tests of the selection that reach the mutated function.

    python tools/mutation.py [GROUP ...] [--max-children N] [--report-only]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "build" / "mutation"
LINKS = ("src", "tests", "hls", "boards", "data")
STREAMLINE = "src/qnnflow/transforms/streamline"
SLOW_STREAMLINE_TESTS = [
    "--ignore=tests/transforms/streamline/test_streamline_darknet_w1a3.py",
    "--ignore=tests/transforms/streamline/test_quantized_darknet_to_hw.py",
    "--deselect=tests/transforms/streamline/test_streamline.py::"
    "test_codes_between_layers_are_bit_exact[1-w1a3]",
    "--deselect=tests/transforms/streamline/test_streamline.py::"
    "test_codes_between_layers_are_bit_exact[1-w2a2]",
    "--deselect=tests/transforms/streamline/test_streamline.py::"
    "test_codes_between_layers_are_bit_exact[1-w4a4]",
]
# the numpy reference functions of the hardware ops (their estimates are benchmarked instead)
OP_REFERENCES = [
    "qnnflow.ops.*reference__mutmut*",
    "qnnflow.ops.*execute_node__mutmut*",
    "qnnflow.ops.mvu.x_matrix_vector__mutmut*",
    "qnnflow.ops.mvu.x_multithreshold_last_axis__mutmut*",
    "qnnflow.ops.maxpool.x_maxpool_nhwc__mutmut*",
    "qnnflow.ops.sliding_window.x_sliding_windows__mutmut*",
    "qnnflow.ops.pad.x_pad_nhwc__mutmut*",
    "qnnflow.ops.upsample.x_upsample_nearest_nhwc__mutmut*",
]
# group -> (files to mutate, pytest selection, mutant name patterns or [] for all)
GROUPS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "packing": (["src/qnnflow/packing.py"], ["tests/test_packing.py"], []),
    "verify": (
        ["src/qnnflow/verify/*"],
        ["tests/verify", "tests/flow/test_verify_step.py"],
        [],
    ),
    "ops": (["src/qnnflow/ops/*"], ["tests/ops"], OP_REFERENCES),
    "thresholds": (
        [
            f"{STREAMLINE}/absorb_mul_into_multithreshold.py",
            f"{STREAMLINE}/absorb_add_into_multithreshold.py",
            f"{STREAMLINE}/round_thresholds_to_integers.py",
            f"{STREAMLINE}/remove_relu_before_multithreshold.py",
        ],
        ["tests/transforms/streamline", *SLOW_STREAMLINE_TESTS],
        [],
    ),
    "streamline": (
        [f"{STREAMLINE}/*"],
        ["tests/transforms/streamline", *SLOW_STREAMLINE_TESTS],
        [],
    ),
}


def _toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _table(name: str, values: dict) -> str:
    return "\n".join([f"[{name}]", *(f"{k} = {_toml_value(v)}" for k, v in values.items())])


def prepare(group: str) -> Path:
    """build/mutation/<group>/ with links to the tree and the group's mutmut options."""
    files, tests, _ = GROUPS[group]
    work = WORK / group
    work.mkdir(parents=True, exist_ok=True)
    for name in LINKS:
        if not (work / name).exists():
            (work / name).symlink_to(REPO / name)
    pytest_options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]
    mutmut = {
        "source_paths": ["src"],
        "only_mutate": files,
        "also_copy": ["hls", "boards", "data/models"],
        "pytest_add_cli_args": ["-p", "no:xdist", "-p", "no:cacheprovider", "-q"],
        "pytest_add_cli_args_test_selection": tests,
    }
    text = _table("tool.pytest.ini_options", pytest_options["ini_options"])
    (work / "pyproject.toml").write_text(text + "\n\n" + _table("tool.mutmut", mutmut) + "\n")
    return work


def run(group: str, max_children: int) -> None:
    work = prepare(group)
    patterns = GROUPS[group][2]
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [str(mutmut), "run", "--max-children", str(max_children), *patterns]
    subprocess.run(command, cwd=work, check=False)


def report(group: str) -> tuple[Counter, list[str]]:
    """Killed/survived/... per module, and the surviving mutants' names."""
    work = WORK / group
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run(
        [str(mutmut), "results", "--all", "true"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    ).stdout
    patterns = [re.compile(p.replace(".", r"\.").replace("*", ".*")) for p in GROUPS[group][2]]
    counts: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name or (patterns and not any(p.fullmatch(name) for p in patterns)):
            continue
        module = name.split(".x")[0]
        counts[module][status] += 1
        if status == "survived":
            survivors.append(name)
    lines = [f"{group}: kill rate per module ((killed + timeout) / (killed + survived + timeout))"]
    for module, c in sorted(counts.items()):
        caught = c["killed"] + c["timeout"]
        tried = caught + c["survived"]
        rate = f"{100 * caught / tried:5.1f}%" if tried else "  n/a "
        lines.append(f"  {module:60s} {rate}  {dict(c)}")
    lines += [f"  survived: {s}" for s in survivors]
    (work / "summary.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return counts, survivors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", default=["packing", "verify", "ops", "thresholds"])
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    for group in args.groups:
        if group not in GROUPS:
            parser.error(f"unknown group {group!r} (known: {', '.join(GROUPS)})")
        if not args.report_only:
            run(group, args.max_children)
        report(group)


if __name__ == "__main__":
    main()
