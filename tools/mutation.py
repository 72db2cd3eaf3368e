"""`make mutation`: mutmut over the numeric core, one group of modules at a time, and the kill
rate per module.

A group runs in build/mutation/<group>/ (links to src/, tests/, hls/, boards/, data/ and a
pyproject.toml of its own: mutmut reads its options from the working directory), so the
groups' test selections and results stay apart. mutmut runs each mutant in a fork of its warm
process with pytest -x and a time budget; tools/mutmut_own_tests.py narrows each mutant's tests
to its module's own test files where the group has a map (the streamline rules:
tools/mutation_selection.py), and retries last run's survivors.

    python tools/mutation.py [GROUP ...] [--max-children N] [--report-only]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mutation_selection  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "build" / "mutation"
LINKS = ("src", "tests", "hls", "boards", "data")
STREAMLINE = "src/qnnflow/transforms/streamline"
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
    # the vectorized kernels every op's execution now runs (issue 15)
    "qnnflow.ops.kernels.*__mutmut*",
]
THRESHOLD_RULES = [
    "absorb_mul_into_multithreshold",
    "absorb_add_into_multithreshold",
    "round_thresholds_to_integers",
    "remove_relu_before_multithreshold",
]


@dataclass
class Group:
    """Files to mutate, the pytest selection, mutant name patterns ([] for all) and, where
    given, each module's own test files (dotted module -> files)."""

    files: list[str]
    tests: list[str]
    patterns: list[str] = field(default_factory=list)
    own_tests: dict[str, list[str]] | None = None


def _streamline(stems: list[str]) -> Group:
    own = mutation_selection.test_map(stems)
    selection = sorted({t for files in own.values() for t in files})
    return Group(
        [f"{STREAMLINE}/{s}.py" for s in stems],
        [*selection, *mutation_selection.DESELECT],
        own_tests=own,
    )


GROUPS: dict[str, Group] = {
    "packing": Group(
        ["src/qnnflow/packing.py"], ["tests/test_packing.py", "tests/test_packing_gathered.py"]
    ),
    "verify": Group(["src/qnnflow/verify/*"], ["tests/verify", "tests/flow/test_verify_step.py"]),
    "ops": Group(["src/qnnflow/ops/*"], ["tests/ops"], OP_REFERENCES),
    "thresholds": _streamline(THRESHOLD_RULES),
    "streamline": _streamline(mutation_selection.modules()),
}
CAUGHT = ("killed", "timeout", "segfault")
UNCAUGHT = ("survived", "no tests", "suspicious")
# per-mutant budget: (estimated test time + constant) * multiplier seconds of wall time
TIMEOUT = {"timeout_multiplier": 4.0, "timeout_constant": 5.0}
GROUP_TIMEOUT_S = 4 * 3600  # one group's whole mutmut run


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
    group_spec = GROUPS[group]
    work = WORK / group
    work.mkdir(parents=True, exist_ok=True)
    for name in LINKS:
        if not (work / name).exists():
            (work / name).symlink_to(REPO / name)
    pytest_options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]
    mutmut = {
        "source_paths": ["src"],
        "only_mutate": group_spec.files,
        # the package data the tests read through qnnflow.resources (src/qnnflow/share links
        # to these; mutmut copies only the Python sources of src/)
        "also_copy": ["hls", "boards", "data/models", "rtl", "notebooks", "src/qnnflow/share"],
        "pytest_add_cli_args": ["-p", "no:xdist", "-p", "no:cacheprovider", "-q"],
        "pytest_add_cli_args_test_selection": group_spec.tests,
        **TIMEOUT,
    }
    text = _table("tool.pytest.ini_options", pytest_options["ini_options"])
    (work / "pyproject.toml").write_text(text + "\n\n" + _table("tool.mutmut", mutmut) + "\n")
    (work / "own_tests.json").write_text(json.dumps(group_spec.own_tests or {}, indent=1))
    return work


def run(group: str, max_children: int) -> int:
    """mutmut over the group; its exit status (non-zero e.g. when the tests fail unmutated)."""
    work = prepare(group)
    patterns = GROUPS[group].patterns
    launcher = REPO / "tools" / "mutmut_own_tests.py"
    command = [sys.executable, str(launcher), "--max-children", str(max_children), *patterns]
    try:
        return subprocess.run(command, cwd=work, check=False, timeout=GROUP_TIMEOUT_S).returncode
    except subprocess.TimeoutExpired:
        print(f"{group}: mutmut did not finish in {GROUP_TIMEOUT_S} s", file=sys.stderr)
        return 124


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
    globs = GROUPS[group].patterns
    patterns = [re.compile(p.replace(".", r"\.").replace("*", ".*")) for p in globs]
    counts: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name or (patterns and not any(p.fullmatch(name) for p in patterns)):
            continue
        module = name.split(".x")[0]
        counts[module][status] += 1
        if status in UNCAUGHT:
            survivors.append(f"{name} ({status})")
    lines = [f"{group}: kill rate per module (killed + timeout) / all tried; untested count"]
    for module, c in sorted(counts.items()):
        caught = sum(c[s] for s in CAUGHT)
        tried = caught + sum(c[s] for s in UNCAUGHT)
        rate = f"{caught:4d}/{tried:<4d} {100 * caught / tried:5.1f}%" if tried else "  n/a "
        lines.append(f"  {module:60s} {rate}  {dict(c)}")
    lines += [f"  not killed: {s}" for s in survivors]
    (work / "summary.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return counts, survivors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", default=["packing", "verify", "ops", "streamline"])
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    failed = []
    for group in args.groups:
        if group not in GROUPS:
            parser.error(f"unknown group {group!r} (known: {', '.join(GROUPS)})")
        status = 0 if args.report_only else run(group, args.max_children)
        counts, _ = report(group)
        tried = sum(c[s] for c in counts.values() for s in (*CAUGHT, *UNCAUGHT))
        if status or not tried:  # a run that checked nothing is a failure, not a 0% or n/a
            failed.append(f"{group} (mutmut exit {status}, {tried} mutants checked)")
    if failed:
        sys.exit("mutation run failed: " + "; ".join(failed))


if __name__ == "__main__":
    main()
