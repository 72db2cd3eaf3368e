"""The CLI's subcommands, one module each; `qnnflow.cli` attaches them to the group."""

from qnnflow.commands.build import build
from qnnflow.commands.detect import detect_cmd
from qnnflow.commands.estimate import estimate_cmd
from qnnflow.commands.evaluate import evaluate_cmd
from qnnflow.commands.import_binparams import import_binparams_cmd
from qnnflow.commands.import_darknet import import_darknet_cmd
from qnnflow.commands.inspect_darknet import inspect_darknet_cmd
from qnnflow.commands.make_dataset import make_dataset_cmd
from qnnflow.commands.quantize import quantize_cmd
from qnnflow.commands.report import report_cmd
from qnnflow.commands.sim import sim_cmd
from qnnflow.commands.synth import synth_cmd
from qnnflow.commands.train import train_cmd
from qnnflow.commands.train_classifier import train_classifier_cmd
from qnnflow.commands.verify_accuracy import verify_accuracy_cmd

COMMANDS = [
    import_darknet_cmd,
    inspect_darknet_cmd,
    import_binparams_cmd,
    quantize_cmd,
    make_dataset_cmd,
    verify_accuracy_cmd,
    evaluate_cmd,
    train_cmd,
    train_classifier_cmd,
    estimate_cmd,
    detect_cmd,
    sim_cmd,
    synth_cmd,
    report_cmd,
    build,
]
