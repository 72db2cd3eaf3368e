"""`qnnflow quantize --auto-mixed`: search per-layer bits that fit the board, quantize the
chosen configuration for real, check its measured drop and hardware cost, then write the
QONNX, OUT.mixed.yaml (re-quantizes to the same model with --mixed) and quant_info.json
with the search. Nothing is written when no configuration fits within --max-drop."""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from qnnflow.errors import QnnflowError


@dataclass(frozen=True)
class AutoMixedRequest:
    board: str
    max_drop: float
    data_dir: Path
    split: str | None
    max_images: int | None
    bits: tuple[int, ...]
    budget: float


def parse_auto_bits(text: str) -> tuple[int, ...]:
    """'8,4,2' -> (8, 4, 2): distinct widths in 2..8, at least one."""
    try:
        bits = tuple(sorted({int(v) for v in text.split(",") if v.strip()}, reverse=True))
    except ValueError:
        raise QnnflowError(f"--auto-bits: expected bit widths like 8,4,2, got '{text}'") from None
    if not bits or any(not 2 <= b <= 8 for b in bits):
        raise QnnflowError(f"--auto-bits: widths must be in 2..8, got '{text}'")
    return bits


def _choice_table(result) -> Table:
    table = Table(title="auto-mixed choice")
    for column in ("layer", "bits (w/a)", "own drop at these bits (points)"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    for name, bits in result.config.items():
        table.add_row(name, f"{bits}/{bits}", f"{result.table.drop(name, bits, bits):.2f}")
    return table


def run_auto_mixed(
    float_model, calib, options, recovery, request: AutoMixedRequest, output, qcdq, preprocess
) -> None:
    """Search, quantize the choice, verify it, write everything (or nothing)."""
    from qnnflow.boards import load_board
    from qnnflow.commands.evaluate import sensitivity_table
    from qnnflow.quant.ptq.auto_mixed import NoFit, config_rules, config_yaml, search_mixed
    from qnnflow.quant.ptq.export import export_qonnx
    from qnnflow.quant.ptq.hw_cost import hardware_cost
    from qnnflow.quant.ptq.pipeline import quantize_ptq, write_outputs
    from qnnflow.quant.ptq.sensitivity import make_probe
    from qnnflow.util.atomic import atomic_write_text

    if not request.max_drop >= 0:
        raise QnnflowError(f"--max-drop must be >= 0 points, got {request.max_drop}")
    if not 0 < request.budget <= 1:
        raise QnnflowError(f"--resource-budget must be in (0, 1], got {request.budget}")
    board = load_board(request.board)
    probe = make_probe(
        float_model,
        calib,
        request.data_dir,
        options,
        request.split,
        request.max_images,
        **preprocess,
    )
    console = Console(soft_wrap=True)
    err = Console(stderr=True)
    with err.status("auto-mixed", spinner="dots") as status:
        try:
            result = search_mixed(
                probe, board, request.bits, request.max_drop, request.budget, status.update
            )
        except NoFit as exc:
            console.print(sensitivity_table(exc.table))
            raise QnnflowError(str(exc)) from None
        status.update("quantizing the chosen configuration")
        chosen = dataclasses.replace(options, rules=config_rules(result.config))
        final = quantize_ptq(float_model, chosen, recovery, probe.calibration, probe.batch_size)
        result.top1 = probe.top1(final.qmodule)
        status.update("estimating the chosen model")
        with tempfile.TemporaryDirectory(prefix="qnnflow-automixed-") as scratch:
            staged = Path(scratch) / "chosen.onnx"
            export_qonnx(final.qmodule, final.input_shape, staged)
            result.cost = hardware_cost(staged, board, request.budget)
    console.print(sensitivity_table(result.table))
    console.print(_choice_table(result))
    if result.drop is not None and result.drop > request.max_drop:
        raise QnnflowError(
            f"the chosen configuration fits {board.name} but drops {result.drop:.2f} top-1 "
            f"points (predicted {result.predicted_drop:.2f}), more than --max-drop "
            f"{request.max_drop:g}; nothing written"
        )
    if not result.cost.fits:
        raise QnnflowError(
            f"the chosen configuration, fully calibrated, no longer fits: "
            f"{result.cost.fold_failure}; nothing written"
        )
    mixed_path = output.with_suffix(".mixed.yaml")
    header = {
        "model": str(float_model.source),
        "scheme": "auto-mixed",
        "options": dataclasses.asdict(chosen),
        "auto_mixed": {
            "board": board.name,
            "max_drop_points": request.max_drop,
            "resource_budget": request.budget,
            "candidate_bits": list(request.bits),
            "mixed_config": str(mixed_path),
            **result.to_dict(),
        },
    }
    info = write_outputs(final, output, qcdq, header)
    atomic_write_text(mixed_path, config_yaml(result.config))
    used = result.cost.pressure
    console.print(
        f"wrote {output}, {mixed_path}, {info}: top-1 {100 * result.top1:.2f}% (float "
        f"{100 * result.table.float_top1:.2f}%, drop {result.drop:.2f} points, predicted "
        f"{result.predicted_drop:.2f}); fits {board.name}, fully folded "
        + ", ".join(f"{k} {100 * v:.0f}%" for k, v in used.items())
        + f" of the allowed budget; {result.evaluated} configurations estimated",
        highlight=False,
    )
