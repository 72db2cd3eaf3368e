"""`qnnflow` command line: user errors print one line and exit 2; `--debug` shows tracebacks."""

from __future__ import annotations

import logging
import sys

import click
from rich.console import Console
from rich.logging import RichHandler

from qnnflow.commands import COMMANDS
from qnnflow.errors import QnnflowError

err_console = Console(stderr=True)
EXIT_USER_ERROR = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: bool) -> None:
    """qnnflow: compile quantized detectors (Darknet, ONNX/QONNX) to FPGA dataflow designs."""
    ctx.obj = {"debug": debug}
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        level=level, format="%(message)s", handlers=[RichHandler(console=err_console)], force=True
    )


for command in COMMANDS:
    cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: maps QnnflowError to one line on stderr and exit code 2."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name="qnnflow", standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("aborted")
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except QnnflowError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        return EXIT_USER_ERROR
    except Exception as exc:  # noqa: BLE001 - an internal bug: still one line unless --debug
        if debug:
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug)", err=True)
        return 1
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
