"""The exercises work with nbgrader, and nbgrader's autograde agrees with the course's grader.

nbgrader lives in its own virtualenv (.nbgrader-venv, made by `make nbgrader-venv`),
so the learners' environment never carries it. `make test` makes it first and sets
NBGRADER_REQUIRED=1, so a missing install fails there; run alone without it, the
module is skipped.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from backprop_book.grade import grade_many, load_releases

ROOT = Path(__file__).resolve().parent.parent
NBGRADER = ROOT / ".nbgrader-venv" / "bin" / "nbgrader"
EXERCISE = "01_single_neuron"

if not NBGRADER.is_file():
    if os.environ.get("NBGRADER_REQUIRED"):
        raise RuntimeError(f"{NBGRADER} is missing: run `make nbgrader-venv`")
    pytest.skip("nbgrader is not installed (make nbgrader-venv)", allow_module_level=True)


def nbgrader(*args: str, cwd: Path) -> str:
    env = {**os.environ, "PATH": f"{NBGRADER.parent}:{os.environ['PATH']}"}
    env.pop("JUPYTER_PATH", None)
    run = subprocess.run([str(NBGRADER), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    return run.stdout + run.stderr


NAMES = sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("name", NAMES)
def test_validate_passes_the_solution_and_fails_the_exercise(tmp_path: Path, name: str) -> None:
    # `nbgrader validate` exits 0 either way: its verdict is in what it prints.
    solution = nbgrader("validate", str(ROOT / "solutions" / name), cwd=tmp_path)
    assert "Success!" in solution and "VALIDATION FAILED" not in solution, solution
    exercise = nbgrader("validate", str(ROOT / "exercises" / name), cwd=tmp_path)
    assert "VALIDATION FAILED" in exercise, exercise
    assert "NotImplementedError" in exercise


def _submission(kind: str) -> dict:
    nb = json.loads((ROOT / "solutions" / f"{EXERCISE}.ipynb").read_text())
    if kind == "untouched":
        return json.loads((ROOT / "exercises" / f"{EXERCISE}.ipynb").read_text())
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if kind == "partial" and gid == "output-delta":
            cell["source"] = "def output_delta(y_hat, y):\n    return y_hat - y"
        if kind == "partial" and gid == "shape":
            cell["source"] = "DW_SHAPE = (10, 785)"
    return nb


def test_autograde_gives_the_same_scores_as_the_course_grader(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / f"{EXERCISE}.ipynb", course / "source" / "ps1" / f"{EXERCISE}.ipynb")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'backprop'\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.Execute.timeout = 60\n"
    )
    out = nbgrader("generate_assignment", "ps1", "--force", cwd=course)
    release = course / "release" / "ps1" / f"{EXERCISE}.ipynb"
    assert release.is_file(), out

    students = {"alice": "full", "bob": "partial", "carol": "untouched"}
    ours = {}
    for student, kind in students.items():
        folder = course / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        path = folder / f"{EXERCISE}.ipynb"
        path.write_text(json.dumps(_submission(kind)))
        ours[student] = path
    out = nbgrader("autograde", "ps1", "--force", cwd=course)
    for student in students:
        assert (course / "autograded" / student / "ps1" / f"{EXERCISE}.ipynb").is_file(), out
    out = nbgrader("export", "--to", str(course / "grades.csv"), cwd=course)
    rows = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").open())}
    theirs = {s: float(rows[s]["score"]) for s in students}

    subs = grade_many([ours[s] for s in students], load_releases(ROOT / "exercises"), cell_timeout=30, jobs=2)
    mine = {s: sub.score for s, sub in zip(students, subs)}
    assert theirs == mine, (theirs, mine)
    assert mine == {"alice": 10.0, "bob": 7.0, "carol": 0.0}
    assert float(rows["alice"]["max_score"]) == subs[0].max_score == 10.0
