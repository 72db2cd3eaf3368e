"""Flow step tidy: Tidy the graph (shapes, datatypes, constants)."""

from _step import run_step

if __name__ == "__main__":
    run_step("tidy", "Tidy the graph (shapes, datatypes, constants)")
