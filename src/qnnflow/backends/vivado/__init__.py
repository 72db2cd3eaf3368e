"""Vivado scripts: the PYNQ-Z2 project, block design and bitstream export, rendered from the
board's `*.tcl.in` templates (`qnnflow.backends.vivado.project.render`)."""
