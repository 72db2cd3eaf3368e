"""Flow step fold: Fold hardware layers for the board and write the estimate."""

from _step import run_step

if __name__ == "__main__":
    run_step("fold", "Fold hardware layers for the board and write the estimate")
