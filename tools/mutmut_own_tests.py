"""`mutmut run` with each mutant's tests cut to its module's own test files.

mutmut (3.8.1) runs the whole test selection once to learn which tests reach each function,
then, for every mutant, forks its already-warm process and runs those tests with pytest -x
(no interpreter or pytest start-up per mutant, stop at the first failure, a CPU and wall time
budget per mutant from timeout_multiplier/timeout_constant). This wrapper narrows the tests
mutmut learned to the files listed for the function's module in own_tests.json (written by
tools/mutation.py), so a rule's mutant no longer runs the network streamline tests; a module
absent from the file keeps every test mutmut found. Before the run, the verdicts "survived"
and "no tests" are cleared so that tests added since the last run get their chance (killed
mutants stay killed: tests are only added).

    cd build/mutation/<group> && python tools/mutmut_own_tests.py [--max-children N] [NAMES]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import mutmut.__main__ as mutmut_main
from mutmut.state import state
from mutmut.utils.format_utils import get_module_from_key

RETRIED = {0, 5, 33}  # survived, no tests (pytest's and mutmut's)


def clear_survivors(mutants: Path) -> int:
    """Forget the survived / no-tests verdicts in mutmut's .meta files; how many."""
    count = 0
    for meta in mutants.rglob("*.meta"):
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        for key, code in codes.items():
            if code in RETRIED:
                codes[key] = None
                count += 1
        meta.write_text(json.dumps(data, indent=4))
    return count


def narrow(tests_by_function: dict[str, set[str]], own: dict[str, list[str]]) -> None:
    """Keep, for each function, only the tests in its module's own files."""
    for key, tests in tests_by_function.items():
        files = own.get(get_module_from_key(key))
        if files is not None:
            tests_by_function[key] = {t for t in tests if t.split("::")[0] in files}


def main() -> None:
    own = json.loads(Path("own_tests.json").read_text())
    cleared = clear_survivors(Path("mutants")) if Path("mutants").is_dir() else 0
    print(f"retrying {cleared} mutants that survived or had no tests last time")
    collect = mutmut_main.collect_or_load_stats

    def collect_and_narrow(runner, **options) -> None:
        collect(runner, **options)
        narrow(state().tests_by_mangled_function_name, own)

    mutmut_main.collect_or_load_stats = collect_and_narrow
    mutmut_main.cli(["run", *sys.argv[1:]])


if __name__ == "__main__":
    main()
