"""Which test files may kill a mutant of each streamline module (`make mutation`).

A mutant of a module runs only its module's own fast test files (intersected with the tests
mutmut saw reach the mutated function), not every test that happens to call it: the network
streamline tests reach every rule and take seconds each under mutmut's trampolines, so one
group of rules ran 133 of 350 mutants in 12 minutes. A module's own tests are
tests/transforms/streamline/test_<module>.py unless OWN_TESTS says otherwise;
`missing_entries()` (tested in tests/test_mutation_selection.py) keeps the map complete.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "qnnflow.transforms.streamline"
SOURCE = REPO / "src" / "qnnflow" / "transforms" / "streamline"
TESTS = "tests/transforms/streamline"

# modules whose tests live elsewhere than test_<module>.py (shared helpers, one test file for
# the global pooling rules)
OWN_TESTS: dict[str, list[str]] = {
    "__init__": ["test_streamline.py", "test_quant_rounding_ties.py"],
    "least_float32": [
        "test_least_float32.py",
        "test_quant_rounding_ties.py",
        "test_quant_act_to_multithreshold.py",
    ],
    "global_mean_to_sum": ["test_global_pool.py"],
    "global_pool_nodes": ["test_global_pool.py"],
    "move_mul_past_global_pool": ["test_global_pool.py"],
    "quant_act_to_multithreshold": [
        "test_quant_act_to_multithreshold.py",
        "test_quant_rounding_ties.py",
    ],
}
# the helpers every rule calls: the rules' own tests (not the whole-network ones)
SHARED = {"patterns"}
NETWORK_TESTS = {
    "test_streamline.py",
    "test_streamline_darknet_w1a3.py",
    "test_quantized_darknet_to_hw.py",
    "test_yolov3_tiny_forks.py",
}
# the slow variants inside the own test files (seconds each, the smaller ones cover the same)
DESELECT = [
    f"--deselect={TESTS}/test_streamline.py::test_codes_between_layers_are_bit_exact[1-{q}]"
    for q in ("w1a1", "w1a3", "w2a2", "w4a4")
]


def modules() -> list[str]:
    """Every module of the streamline package, by file stem."""
    return sorted(p.stem for p in SOURCE.glob("*.py"))


def rule_tests() -> list[str]:
    """The streamline test files that test single rules or helpers."""
    names = sorted(p.name for p in (REPO / TESTS).glob("test_*.py"))
    return [n for n in names if n not in NETWORK_TESTS]


def own_tests(module: str) -> list[str]:
    """The test files (repository paths) that may kill a mutant of `module`."""
    if module in SHARED:
        names = rule_tests()
    else:
        names = OWN_TESTS.get(module, [f"test_{module}.py"])
    return [f"{TESTS}/{n}" for n in names]


def test_map(stems: list[str] | None = None) -> dict[str, list[str]]:
    """Dotted module name -> its own test files, for the modules `stems` (default: all)."""
    table = {f"{PACKAGE}.{s}": own_tests(s) for s in stems or modules()}
    if f"{PACKAGE}.__init__" in table:  # mutmut may name the package either way
        table[PACKAGE] = table[f"{PACKAGE}.__init__"]
    return table


def missing_entries() -> list[str]:
    """Modules without an existing own test file (an empty list: the map is complete)."""
    pairs = [(s, t) for s in modules() for t in own_tests(s) or ["(none)"]]
    return [f"{s}: {t}" for s, t in pairs if not (REPO / t).is_file()]
