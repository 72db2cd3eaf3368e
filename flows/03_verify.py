"""Flow step verify: Check the tidy graph against the imported one."""

from _step import run_step

if __name__ == "__main__":
    run_step("verify", "Check the tidy graph against the imported one")
