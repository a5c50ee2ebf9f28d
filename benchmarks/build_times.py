"""Print how long the book takes to build from clean, to rebuild, and to test.

The figures are measured, printed and never asserted: they depend on the
machine. The build goes to a temporary folder, so the repository's own
_build/ is left alone.

Usage: .venv/bin/python benchmarks/build_times.py [--tests]   (or `make bench-build`)
--tests also times the unit tests, whose grader tests run hundreds of kernels
(about a quarter of an hour on 2 cores).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def timed(label: str, command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{label} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    print(f"{label:<34} {elapsed:7.1f} s", flush=True)
    return elapsed


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as out:
        build = [str(BIN / "jupyter-book"), "build", ".", "--warningiserror", "--path-output", out]
        timed("clean build (executes every notebook)", build)
        timed("rebuild, nothing changed", build)
    sanitize = ["--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]
    timed("nbval, chapters and solutions", [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "--nbval", *sanitize,
                                            "chapters", "solutions"])
    if "--tests" in sys.argv[1:]:
        timed("unit tests", [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "tests",
                             "--ignore=tests/test_browser.py"])


if __name__ == "__main__":
    main()
