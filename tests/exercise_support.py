"""What the grader tests share: reading a solution, changing one answer cell, reading results."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from backprop_book.grade import Submission, load_releases

ROOT = Path(__file__).resolve().parent.parent
RELEASES = load_releases(ROOT / "exercises")


def solution(name: str) -> dict:
    """The solution notebook of an exercise, as JSON."""
    return json.loads((ROOT / "solutions" / f"{name}.ipynb").read_text())


def with_answer(nb: dict, grade_id: str, source: str) -> dict:
    """A copy of ``nb`` whose answer cell ``grade_id`` holds ``source``."""
    nb = copy.deepcopy(nb)
    cells = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id]
    assert cells, grade_id
    cells[0]["source"] = source
    return nb


def feedback(sub: Submission, question: str) -> str:
    return next(q.feedback for q in sub.questions if q.id == question)


def score(sub: Submission, question: str) -> float:
    return next(q.score for q in sub.questions if q.id == question)
