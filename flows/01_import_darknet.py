"""Flow step import: Import the Darknet cfg+weights as a float QONNX graph."""

from _step import run_step

if __name__ == "__main__":
    run_step("import", "Import the Darknet cfg+weights as a float QONNX graph")
