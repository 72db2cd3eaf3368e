#!/usr/bin/env bash
# Create benchmarks/.venv-finn with finn-plus 1.6.1 for the estimate-only comparison.
# finn-plus pins onnx/onnxruntime versions other than qnnflow's, so it gets its own venv.
# Its brevitas==0.13.0 pin (setuptools<70) conflicts with the CPU torch wheel that finn's
# layernorm op imports, and the estimate-only build never imports brevitas: so the
# requirements are installed from requirements-finn.txt and finn-plus itself with --no-deps.
# A .pth file puts stubs/ on this venv's path and installs the finn.xsi stand-in (no Vivado).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${1:-$here/../.venv-finn}"
python="${PYTHON:-python3}"

"$python" -m venv "$venv"
"$venv/bin/pip" install --progress-bar off -r "$here/requirements-finn.txt"
# mip (imported by finn's build config) needs cffi only; its solver wheel (cbcbox) is for
# multi-FPGA partitioning, which this benchmark does not use
"$venv/bin/pip" install --progress-bar off --no-deps finn-plus==1.6.1 mip==1.17.0
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
printf '%s\nimport finn_xsi_stub; finn_xsi_stub.install()\n' "$here/stubs" > "$site/finn_xsi_stub.pth"
"$venv/bin/python" -c "import finn.builder.build_dataflow, finn.xsi; print('finn-plus ready in $venv')"
