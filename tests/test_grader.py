"""The grader: full marks for the solutions, zero for the untouched exercises, feedback that
names each catalogued mistake, and no bad submission able to crash it, raise a score or be lost."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_book.grade import grade_many
from exercise_support import RELEASES, feedback, score, with_answer
from exercise_support import solution as solution_of

ROOT = Path(__file__).resolve().parent.parent
EXERCISES, SOLUTIONS = ROOT / "exercises", ROOT / "solutions"
TIMEOUT = 5  # seconds per cell: short, so the endless loops below end quickly


def write(tmp_path: Path, name: str, content: dict | str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, dict):
        path.write_text(json.dumps(content))
    elif isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    return path


def grade(*paths: Path):
    return {Path(s.notebook).name: s for s in grade_many(list(paths), RELEASES, cell_timeout=TIMEOUT, jobs=2)}


def test_every_solution_scores_full_marks_and_every_exercise_zero(tmp_path: Path) -> None:
    names = sorted(p.name for p in SOLUTIONS.glob("*.ipynb"))
    assert names, "no solution notebooks"
    assert names == sorted(p.name for p in EXERCISES.glob("*.ipynb"))
    subs = grade_many([SOLUTIONS / n for n in names] + [EXERCISES / n for n in names], RELEASES, TIMEOUT, jobs=2)
    for sub in subs[: len(names)]:
        assert sub.max_score > 0
        assert sub.score == sub.max_score, (sub.notebook, [(q.id, q.feedback) for q in sub.questions])
        assert sub.messages == []
    for sub in subs[len(names):]:
        assert sub.ran and sub.score == 0, sub.notebook
        assert all(q.feedback.startswith("not answered yet") for q in sub.questions), sub.questions


def solution() -> dict:
    return solution_of('01_single_neuron')


# Each catalogued mistake, made in one answer cell of an otherwise correct solution,
# and the words its feedback must contain.
SIGMOID = "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\n"
MISTAKES = {
    "no-bias": ("forward", SIGMOID + "def forward(x, w, b):\n    z = x @ w\n    return z, sigmoid(z)",
                "check-forward", "bias b is missing"),
    "tanh": ("forward", SIGMOID + "def forward(x, w, b):\n    z = x @ w + b\n    return z, np.tanh(z)",
             "check-forward", "tanh"),
    "tanh-derivative": ("sigmoid-prime", "def sigmoid_prime(y_hat):\n    return 1 - y_hat ** 2",
                        "check-sigmoid-prime", "derivative of tanh"),
    "derivative-from-z": ("sigmoid-prime", "def sigmoid_prime(y_hat):\n    return sigmoid(y_hat) * (1 - sigmoid(y_hat))",
                          "check-sigmoid-prime", "applied to y_hat again"),
    "missing-derivative": ("output-delta", "def output_delta(y_hat, y):\n    return y_hat - y",
                           "check-output-delta", "derivative is missing"),
    "sign-flip": ("output-delta", "def output_delta(y_hat, y):\n    return (y - y_hat) * y_hat * (1 - y_hat)",
                  "check-output-delta", "opposite sign"),
    "factor-2": ("output-delta", "def output_delta(y_hat, y):\n    return 2 * (y_hat - y) * y_hat * (1 - y_hat)",
                 "check-output-delta", "factor 1/2"),
    "transposed": ("gradients", "def gradients(x, y_hat, delta):\n    return delta.T @ x, delta[0]",
                   "check-gradients", "transposed"),
    "elementwise": ("gradients", "def gradients(x, y_hat, delta):\n    return x * delta, delta[0]",
                    "check-gradients", "transposed"),
    "outputs-not-inputs": ("gradients", "def gradients(x, y_hat, delta):\n    return y_hat.T @ delta, delta[0]",
                           "check-gradients", "INPUT x"),
    "bias-shape": ("gradients", "def gradients(x, y_hat, delta):\n    return x.T @ delta, delta",
                   "check-gradients", "shape of b"),
    "update-uphill": ("update", "def update(w, b, dw, db, eta):\n    return w + eta * dw, b + eta * db",
                      "check-update", "up the gradient"),
    "one-sided": ("central-difference",
                  "def central_difference(loss_fn, param, eps=1e-6):\n"
                  "    g = np.zeros_like(param)\n    base = loss_fn()\n"
                  "    for i in np.ndindex(param.shape):\n        s = param[i]\n        param[i] = s + eps\n"
                  "        g[i] = (loss_fn() - base) / eps\n        param[i] = s\n    return g",
                  "check-central-difference", "one-sided"),
    "not-restored": ("central-difference",
                     "def central_difference(loss_fn, param, eps=1e-6):\n"
                     "    g = np.zeros_like(param)\n"
                     "    for i in np.ndindex(param.shape):\n        s = param[i]\n        param[i] = s + eps\n"
                     "        p = loss_fn()\n        param[i] = s - eps\n        g[i] = (p - loss_fn()) / (2 * eps)\n"
                     "    return g",
                     "check-central-difference", "changed the parameter"),
    "column-convention-shape": ("shape", "DW_SHAPE = (10, 785)", "check-shape", "column-per-sample"),
}


def test_each_catalogued_mistake_gets_its_own_feedback(tmp_path: Path) -> None:
    paths = []
    for name, (answer, source, _, _) in MISTAKES.items():
        paths.append(write(tmp_path, f"{name}.ipynb", with_answer(solution(), answer, source)))
    subs = {Path(s.notebook).stem: s for s in grade_many(paths, RELEASES, TIMEOUT, jobs=2)}
    for name, (_, _, question, words) in MISTAKES.items():
        sub = subs[name]
        assert "graded as exercise '01_single_neuron'" in " ".join(sub.messages)  # matched by metadata
        assert score(sub, question) == 0, name
        assert words in feedback(sub, question), (name, feedback(sub, question))
        assert not any(code in feedback(sub, question) for code in ("@", ".T", "delta[0]", "(1 - ")), name
        # output_delta calls the learner's sigmoid_prime, so a mistake there shows twice.
        excused = {question} | ({"check-output-delta"} if question == "check-sigmoid-prime" else set())
        others = [q for q in sub.questions if q.id not in excused]
        assert all(q.score == q.max_score for q in others), (name, others)


def test_checks_never_show_the_solution_code(tmp_path: Path) -> None:
    sub = grade(write(tmp_path, "01_single_neuron.ipynb",
                      with_answer(solution(), "gradients", "def gradients(x, y_hat, delta):\n    return delta.T @ x, delta[0]")))
    text = feedback(sub["01_single_neuron.ipynb"], "check-gradients")
    assert "x.T @ delta" not in text and "@" not in text


def test_tampered_and_deleted_check_cells_are_restored(tmp_path: Path) -> None:
    exercise = json.loads((EXERCISES / "01_single_neuron.ipynb").read_text())
    tampered = copy.deepcopy(exercise)
    for cell in tampered["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade"):
            cell["source"] = "print('correct')"
    deleted = copy.deepcopy(exercise)
    deleted["cells"] = [c for c in deleted["cells"] if not c["metadata"].get("nbgrader", {}).get("grade")]
    subs = grade(write(tmp_path, "tampered.ipynb", tampered), write(tmp_path, "deleted.ipynb", deleted))
    for name, word in [("tampered.ipynb", "edited"), ("deleted.ipynb", "deleted")]:
        sub = subs[name]
        assert sub.score == 0
        assert sum(f"({'it was ' + word})" in m for m in sub.messages) == 7, sub.messages


def test_missing_and_duplicated_answer_cells(tmp_path: Path) -> None:
    missing = solution()
    missing["cells"] = [c for c in missing["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "update"]
    duplicated = solution()
    index = next(i for i, c in enumerate(duplicated["cells"]) if c["metadata"]["nbgrader"]["grade_id"] == "update")
    wrong = copy.deepcopy(duplicated["cells"][index])
    wrong["source"] = "def update(w, b, dw, db, eta):\n    return w, b"
    duplicated["cells"].insert(index + 1, wrong)
    subs = grade(write(tmp_path, "missing.ipynb", missing), write(tmp_path, "duplicated.ipynb", duplicated))
    assert subs["missing.ipynb"].score == 9
    assert "answer cell 'update' is missing" in " ".join(subs["missing.ipynb"].messages)
    assert subs["duplicated.ipynb"].score == 10
    assert "appears more than once" in " ".join(subs["duplicated.ipynb"].messages)


def test_renamed_function(tmp_path: Path) -> None:
    nb = with_answer(solution(), "output-delta", "def my_delta(y_hat, y):\n    return (y_hat - y) * y_hat * (1 - y_hat)")
    sub = grade(write(tmp_path, "renamed.ipynb", nb))["renamed.ipynb"]
    assert sub.score == 8
    assert "output_delta is not defined" in feedback(sub, "check-output-delta")


def test_extra_cells_of_the_student_are_kept(tmp_path: Path) -> None:
    nb = solution()
    helper = copy.deepcopy(nb["cells"][1])
    helper["metadata"] = {}
    helper["source"] = "HALF = 0.5"
    nb["cells"].insert(2, helper)
    nb = with_answer(nb, "update", "def update(w, b, dw, db, eta):\n    return w - 2 * HALF * eta * dw, b - eta * db")
    assert grade(write(tmp_path, "extra.ipynb", nb))["extra.ipynb"].score == 10


def test_endless_loop_kernel_death_memory_bomb_and_flood(tmp_path: Path) -> None:
    loop_top = with_answer(solution(), "forward", "while True:\n    pass")
    loop_call = with_answer(solution(), "update", "def update(w, b, dw, db, eta):\n    while True:\n        pass")
    dies = with_answer(solution(), "gradients", "import os\nos._exit(1)")
    bomb = with_answer(solution(), "shape", "hog = np.ones((10**5, 10**5))  # 80 GB")
    creep = with_answer(solution(), "shape", "hog = []\nwhile True:\n    hog.append(bytearray(10**8))")
    flood = with_answer(solution(), "sigmoid-prime",
                        "for _ in range(200):\n    print('x' * 100_000)\n"
                        "def sigmoid_prime(y_hat):\n    return y_hat * (1 - y_hat)")
    subs = grade(*(write(tmp_path, f"{n}.ipynb", nb) for n, nb in
                   [("loop_top", loop_top), ("loop_call", loop_call), ("dies", dies), ("bomb", bomb), ("creep", creep),
                    ("flood", flood)]))
    sub = subs["loop_top.ipynb"]
    assert score(sub, "check-forward") == 0 and sub.score == 9
    assert "longer than the 5 s limit" in feedback(sub, "check-forward")
    sub = subs["loop_call.ipynb"]
    assert score(sub, "check-update") == 0 and sub.score == 9
    assert "longer than the 5 s limit" in feedback(sub, "check-update")
    sub = subs["dies.ipynb"]
    assert score(sub, "check-forward") == 1 and score(sub, "check-sigmoid-prime") == 1  # before the death
    assert sub.score == 4 and any("stopped early" in m for m in sub.messages)
    assert feedback(sub, "check-gradients").startswith("not run")
    sub = subs["bomb.ipynb"]
    assert sub.score == 9 and "out of memory" in feedback(sub, "check-shape")
    sub = subs["creep.ipynb"]  # stopped by the memory limit or the time limit, whichever comes first
    assert sub.score == 9 and "was stopped" in feedback(sub, "check-shape")
    assert subs["flood.ipynb"].score == 10


@pytest.mark.parametrize(
    "content, words",
    [
        ("this is not a notebook", "not valid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff", "not text"),
        ("[1, 2, 3]", "not a Jupyter notebook"),
        ('{"cells": "nope", "nbformat": 4}', "not a Jupyter notebook"),
        ('{"cells": [], "nbformat": 3}', "format 4"),
        ('{"cells": [42], "nbformat": 4}', "cell 1 is not a notebook cell"),
        ('{"cells": [], "nbformat": 4, "metadata": {}}', "no exercise matches"),
    ],
)
def test_bad_files_get_a_message_and_a_zero(tmp_path: Path, content, words) -> None:
    sub = grade(write(tmp_path, "submission.ipynb", content))["submission.ipynb"]
    assert sub.score == 0 and not sub.ran
    assert any(words in m for m in sub.messages), sub.messages


def test_empty_notebook_of_a_known_exercise_is_graded_zero(tmp_path: Path) -> None:
    nb = {"cells": [], "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"backprop_book": {"exercise": "01_single_neuron"}}}
    sub = grade(write(tmp_path, "empty.ipynb", nb))["empty.ipynb"]
    assert sub.ran and sub.score == 0 and sub.max_score == 10


def test_cli_gradebook_exit_codes_and_untouched_files(tmp_path: Path) -> None:
    good = write(tmp_path, "01_single_neuron.ipynb", solution())
    broken = write(tmp_path, "broken.ipynb", "{")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (good, broken)}
    out_json, out_csv = tmp_path / "grades" / "book.json", tmp_path / "grades" / "book.csv"
    run = subprocess.run(
        [sys.executable, "-m", "backprop_book.grade", "--json", str(out_json), "--csv", str(out_csv),
         "--timeout", "10", str(good), str(broken)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert run.returncode == 1, run.stderr  # one submission could not be run at all
    assert "Traceback" not in run.stdout + run.stderr
    assert "total: 10 / 10" in run.stdout and "not valid JSON" in run.stdout
    book = json.loads(out_json.read_text())
    assert [Path(s["notebook"]).name for s in book] == ["01_single_neuron.ipynb", "broken.ipynb"]
    assert set(book[0]) >= {"notebook", "score", "max_score", "questions"}
    assert set(book[0]["questions"][0]) == {"id", "score", "max_score", "feedback"}
    assert out_csv.read_text().splitlines()[1].startswith(f"{good},10,10,")
    assert before == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (good, broken)}


def test_cli_help_and_usage_errors(tmp_path: Path) -> None:
    help_ = subprocess.run([sys.executable, "-m", "backprop_book.grade", "--help"], capture_output=True, text=True)
    assert help_.returncode == 0 and "Exit codes" in help_.stdout
    usage = subprocess.run([sys.executable, "-m", "backprop_book.grade"], capture_output=True, text=True)
    assert usage.returncode == 2
    empty = subprocess.run([sys.executable, "-m", "backprop_book.grade", "--release", str(tmp_path), "x.ipynb"],
                           capture_output=True, text=True)
    assert empty.returncode == 2 and "no released exercises" in empty.stderr


def test_diagnose_names_an_all_zero_answer_and_protects_the_inputs() -> None:
    import numpy as np

    from backprop_book.checks import call, diagnose

    with pytest.raises(AssertionError, match="zero everywhere"):
        diagnose(np.zeros((2, 3)), np.ones((2, 3)), "dW")
    data = [np.ones(3), np.ones(2)]

    def clobber(arrays):
        for a in arrays:
            a[:] = 0
        return arrays

    call(clobber, data, what="clobber")
    assert all(np.all(a == 1) for a in data)
