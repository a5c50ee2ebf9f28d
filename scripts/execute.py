"""Execute notebooks in place, storing outputs and widget state, nothing else.

Usage: python scripts/execute.py NOTEBOOK...   (or `make execute`)

This is how the committed notebooks in chapters/ and solutions/ get their
outputs: a fresh kernel per notebook, run in the notebook's own folder, with
the widget state stored (so the web book's steppers work without a kernel) and
no execution timestamps (so a re-run changes only what really changed).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    print(f"executed {path}")


def main(paths: list[str]) -> None:
    if not paths:
        sys.exit(__doc__)
    for name in paths:
        execute(Path(name))


if __name__ == "__main__":
    main(sys.argv[1:])
