"""Accuracy recovery for post-training quantization: equalization before quantizing; bias
correction, GPTQ, GPFQ, learned rounding and fast finetuning after calibrating.

Each method lives in its own module and imports torch/Brevitas; import the module you need.
"""
