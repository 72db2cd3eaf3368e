"""Flow step report: Write report.md / report.json."""

from _step import run_step

if __name__ == "__main__":
    run_step("report", "Write report.md / report.json")
