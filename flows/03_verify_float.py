"""Flow step verify_float: Check onnxruntime == qonnx == imported graph."""

from _step import run_step

if __name__ == "__main__":
    run_step("verify_float", "Check onnxruntime == qonnx == imported graph")
