"""Write the exercise notebooks from the solution notebooks (the single source).

Usage: python scripts/make_exercises.py [NAME.ipynb ...]   write exercises/ from solutions/
                                                           (all of them, or only those named)
       python scripts/make_exercises.py --check            exit 1 if exercises/ is out of date

As nbgrader's "generate_assignment" does: every region between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` is replaced by
``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the marker's
indentation, every output is cleared, and the cells keep their nbgrader
metadata, so the exercises also work with nbgrader.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
BEGIN = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")


class MarkerError(ValueError):
    pass


def clear_solutions(source: str, where: str) -> str:
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), 1):
        begin = BEGIN.match(line)
        if begin:
            if inside:
                raise MarkerError(f"{where}, line {number}: BEGIN SOLUTION inside a solution region")
            inside = True
            indent = begin.group(1)
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
        elif END.match(line):
            if not inside:
                raise MarkerError(f"{where}, line {number}: END SOLUTION without BEGIN SOLUTION")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{where}: BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out)


def exercise_from(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(solution)
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        grader = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if "BEGIN SOLUTION" in cell.source or "END SOLUTION" in cell.source:
            if not grader.get("solution"):
                raise MarkerError(f"{name}, cell {index + 1}: solution markers in a cell not marked as a solution")
            cell.source = clear_solutions(cell.source, f"{name}, cell {index + 1}")
        cell.metadata.pop("execution", None)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether exercises/ is up to date")
    parser.add_argument("names", nargs="*", metavar="NAME.ipynb", help="only these solution notebooks")
    args = parser.parse_args()
    stale = []
    paths = sorted(SOLUTIONS.glob("*.ipynb"))
    if args.names:
        wanted = {Path(n).name for n in args.names}
        missing = wanted - {p.name for p in paths}
        if missing:
            sys.exit(f"no such solution notebook: {', '.join(sorted(missing))}")
        paths = [p for p in paths if p.name in wanted]
    for path in paths:
        solution = nbformat.read(path, as_version=4)
        text = render(exercise_from(solution, path.name))
        target = EXERCISES / path.name
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target)
        if not args.check:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    orphans = sorted(p.name for p in EXERCISES.glob("*.ipynb") if not (SOLUTIONS / p.name).is_file())
    if args.check:
        for target in stale:
            print(f"out of date: {target.relative_to(ROOT)} (run `make exercises`)")
        for name in orphans:
            print(f"no solution for exercises/{name}")
        return 1 if stale or orphans else 0
    for name in orphans:
        print(f"warning: exercises/{name} has no solution notebook", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
