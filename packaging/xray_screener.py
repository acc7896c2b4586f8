"""The packaged application's entry point.

    xray-screener [workstation options]    the screening workstation (``screener-gui``)
    xray-screener --smoke                  headless: screen one generated bag, print JSON, exit 0
    xray-screener screener <command> ...   the command line (``screener``)
"""

from __future__ import annotations

import multiprocessing
import sys


def main() -> int:
    multiprocessing.freeze_support()  # generator workers start as copies of this executable
    argv = sys.argv[1:]
    if argv[:1] == ["--smoke"]:
        from screener_gui.gui.smoke import main as run

        return run(argv[1:])
    if argv[:1] == ["screener"]:
        from screener_gui.cli import main as run

        return run(argv[1:])
    from screener_gui.gui.app import main as run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
