"""`qnnflow report BUILD_DIR [--open]`: regenerate a build folder's report."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console


@click.command("report")
@click.argument("build_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--board", help="Board whose budget to compare with [default: the folding's].")
@click.option("--open", "open_browser", is_flag=True, help="Open report.html in a web browser.")
def report_cmd(build_dir: Path, board: str | None, open_browser: bool) -> None:
    """Write report.md, report.html (self-contained, with plots) and report.json in
    BUILD_DIR (a `qnnflow build` output folder, finished or stopped after any step) from
    the files its steps left there: headline first (fps, bottleneck, resources against the
    board, accuracy, simulation verdicts, the build's state), then plots and tables. A
    deployment package there gets its copy in deploy/report/ and deploy.zip is refreshed."""
    from qnnflow.errors import QnnflowError
    from qnnflow.flow.report import rerecord_report
    from qnnflow.report import context_from_dir, write_report

    if not (build_dir / "build_state.json").is_file():
        raise QnnflowError(f"{build_dir}: no build_state.json (not a `qnnflow build` folder)")
    files = write_report(context_from_dir(build_dir, board))
    rerecord_report(build_dir)  # a resumed build trusts the rewritten files
    console = Console(soft_wrap=True)
    console.print(f"written {files.html}, {files.markdown.name}, {files.json.name}")
    console.print(f"plots: {len(files.plots)} in {build_dir / 'report'}")
    if files.deploy is not None:
        console.print(f"board copy: {files.deploy} (in deploy.zip)")
    if open_browser:
        import webbrowser

        webbrowser.open(files.html.resolve().as_uri())
