"""Flow step report: write report.html (plots), report.md and report.json."""

from _step import run_step

if __name__ == "__main__":
    run_step("report", "Write report.html (with plots), report.md and report.json")
