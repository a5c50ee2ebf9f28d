"""The exercises are generated from the solutions (one source) and must stay in sync."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from make_exercises import MarkerError, clear_solutions  # noqa: E402

SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_exercises_are_generated_from_the_solutions() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_exercises.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_cells_follow_nbgrader(path: Path) -> None:
    nb = json.loads(path.read_text())
    assert nb["metadata"]["backprop_book"]["exercise"] == path.stem
    ids = []
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader")
        assert meta is not None, f"a cell without nbgrader metadata: {''.join(cell['source'])[:60]!r}"
        assert set(meta) >= {"grade", "grade_id", "locked", "schema_version", "solution"}
        ids.append(meta["grade_id"])
        source = "".join(cell["source"])
        if meta["solution"]:
            assert "### BEGIN SOLUTION" in source and not meta["locked"]
        if meta["grade"]:
            assert meta["locked"] and meta["points"] > 0 and cell["cell_type"] == "code"
    assert len(ids) == len(set(ids)), "grade ids must be unique"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_exercise_holds_no_solution(path: Path) -> None:
    text = (ROOT / "exercises" / path.name).read_text()
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    nb = json.loads(text)
    assert all(c.get("outputs", []) == [] for c in nb["cells"] if c["cell_type"] == "code")


def test_clear_solutions_keeps_indentation_and_refuses_broken_markers() -> None:
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    assert clear_solutions(source, "t") == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    for broken in ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION",
                   "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"]:
        with pytest.raises(MarkerError):
            clear_solutions(broken, "t")
