"""Grade exercise notebooks: ``python -m backprop_book.grade [options] NOTEBOOK...``

Each submission is matched with its released exercise (by file name, by the
exercise name stored in the notebook's metadata, or by its cells' grade ids),
its locked and test cells are restored from the release by ``grade_id``, and it
is run in a fresh kernel, in a separate process with a memory limit, with a time
limit per cell. A test cell scores its points when it runs without an error;
otherwise its feedback is the error its check raised, which names the mistake.

Nothing a submission holds can crash the grader: a file that is not a notebook,
missing or duplicated cells, an endless loop, a kernel that dies, a memory bomb,
megabytes of output, deleted or renamed functions each get a clear message and
a score (zero for what could not run). The submission file is only ever read.

Exit codes:
  0  every submission was graded (a score of zero is still a grade)
  1  at least one submission could not be run at all (unreadable, not a
     notebook, not an exercise, or its run failed); it is reported with a
     score of zero and a message
  2  the command line was wrong, or the released exercises were not found
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

__all__ = ["Question", "Submission", "grade_notebook", "grade_many", "main"]

EXIT_OK, EXIT_UNGRADABLE, EXIT_USAGE = 0, 1, 2
#: Address-space limit of the process that runs a submission (and its kernel).
MEMORY_LIMIT_BYTES = 4 * 1024**3
#: Text kept per cell; the rest of a flood of output is dropped.
OUTPUT_LIMIT_CHARS = 100_000
FEEDBACK_LIMIT_CHARS = 2_000
DEFAULT_RELEASE = Path(__file__).resolve().parent.parent / "exercises"


@dataclass
class Question:
    id: str
    score: float
    max_score: float
    feedback: str


@dataclass
class Submission:
    notebook: str
    score: float = 0.0
    max_score: float = 0.0
    questions: list[Question] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    ran: bool = False

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("ran")
        return data


# ----------------------------------------------------------------------------
# Reading notebooks and the release


def _nbgrader(cell: dict[str, Any]) -> dict[str, Any]:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    data = meta.get("nbgrader") if isinstance(meta, dict) else None
    return data if isinstance(data, dict) else {}


def _grade_id(cell: dict[str, Any]) -> str | None:
    gid = _nbgrader(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def _is_test(cell: dict[str, Any]) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.get("cell_type") == "code"


def _is_solution(cell: dict[str, Any]) -> bool:
    return bool(_nbgrader(cell).get("solution"))


def _is_locked(cell: dict[str, Any]) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("locked")) or _is_test(cell)


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


class NotANotebook(Exception):
    """The file cannot be read as a Jupyter notebook; the message says why."""


def read_notebook(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise NotANotebook(f"cannot read the file: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotANotebook("the file is not text (is it a notebook at all?)") from None
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotANotebook(f"the file is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotANotebook("the file is JSON but not a Jupyter notebook (no list of cells)")
    if nb.get("nbformat") != 4:
        raise NotANotebook(f"only notebooks of format 4 can be graded, this one says {nb.get('nbformat')!r}")
    cells = []
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in {"code", "markdown", "raw"}:
            raise NotANotebook(f"cell {i + 1} is not a notebook cell")
        if not isinstance(cell.get("source", ""), (str, list)):
            raise NotANotebook(f"cell {i + 1} has no readable source")
        cells.append(cell)
    return nb


def exercise_name(nb: dict[str, Any]) -> str | None:
    meta = nb.get("metadata", {})
    data = meta.get("backprop_book") if isinstance(meta, dict) else None
    name = data.get("exercise") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def load_releases(folder: Path) -> dict[str, dict[str, Any]]:
    releases = {}
    for path in sorted(folder.glob("*.ipynb")):
        releases[path.stem] = read_notebook(path)
    return releases


def match_release(path: Path, nb: dict[str, Any], releases: dict[str, dict[str, Any]]) -> tuple[str | None, str]:
    """Which exercise a submission is, and how that was decided."""
    stem = path.stem
    if stem in releases:
        return stem, "by file name"
    name = exercise_name(nb)
    if name in releases:
        return name, f"by the exercise named in its metadata ({name})"
    ids = {_grade_id(c) for c in nb["cells"]} - {None}
    best, overlap = None, 0
    for rname, release in releases.items():
        common = len(ids & {_grade_id(c) for c in release["cells"]})
        if common > overlap:
            best, overlap = rname, common
    if best is not None:
        return best, f"by its cells' grade ids ({best})"
    return None, "no exercise matches its file name, metadata or cells"


# ----------------------------------------------------------------------------
# Restoring locked and test cells


def restore(release: dict[str, Any], nb: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The notebook to run: the release's cells, with the student's answers.

    Every locked or test cell comes from the release, whatever the submission
    did to it. Every answer cell comes from the submission, by grade id (the
    release's empty answer when the submission lost it). Cells the student
    added are kept, after the graded cell they followed.
    """
    messages: list[str] = []
    submitted: dict[str, dict[str, Any]] = {}
    extras_after: dict[str | None, list[dict[str, Any]]] = {}
    anchor: str | None = None
    release_ids = {_grade_id(c) for c in release["cells"]} - {None}
    seen: set[str] = set()
    for cell in nb["cells"]:
        gid = _grade_id(cell)
        if gid in release_ids:
            if gid in seen:
                messages.append(f"cell '{gid}' appears more than once: only its first copy was used")
                continue
            seen.add(gid)
            submitted[gid] = cell
            anchor = gid
        elif cell.get("cell_type") == "code" and not _is_locked(cell):
            extras_after.setdefault(anchor, []).append(cell)
    cells: list[dict[str, Any]] = list(extras_after.get(None, []))
    for rcell in release["cells"]:
        gid = _grade_id(rcell)
        if gid is None:
            cells.append(copy.deepcopy(rcell))
            continue
        mine = submitted.get(gid)
        if _is_solution(rcell) and not _is_locked(rcell):
            if mine is None:
                messages.append(f"answer cell '{gid}' is missing: the exercise's empty cell was used")
                cells.append(copy.deepcopy(rcell))
            else:
                answer = copy.deepcopy(rcell)
                answer["source"] = _source(mine)
                cells.append(answer)
        else:
            if mine is None:
                messages.append(f"restored {'test' if _is_test(rcell) else 'locked'} cell '{gid}' (it was deleted)")
            elif _source(mine) != _source(rcell):
                messages.append(f"restored {'test' if _is_test(rcell) else 'locked'} cell '{gid}' (it was edited)")
            cells.append(copy.deepcopy(rcell))
        cells.extend(extras_after.get(gid, []))
    graded = copy.deepcopy(release)
    for cell in cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.setdefault("metadata", {})
    graded["cells"] = cells
    return graded, messages


# ----------------------------------------------------------------------------
# Running: a worker process per submission


def _limit_resources() -> None:  # runs in the worker process before exec
    os.setsid()  # its own process group, so a timeout kills the kernel too
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ValueError, OSError):
        pass


def _worker(source: Path, target: Path, cell_timeout: int) -> None:
    """Run the notebook in ``source`` and write each cell's outcome to ``target``."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    class CappedClient(NotebookClient):  # type: ignore[misc]
        sizes: dict[int, int] = {}

        def output(self, outs, msg, display_id, cell_index):  # type: ignore[no-untyped-def]
            if msg["msg_type"] in {"stream", "display_data", "execute_result", "update_display_data"}:
                size = len(json.dumps(msg.get("content", {})))
                total = self.sizes.get(cell_index, 0) + size
                self.sizes[cell_index] = total
                if total > OUTPUT_LIMIT_CHARS:
                    return None
            return super().output(outs, msg, display_id, cell_index)

    nb = nbformat.read(source, as_version=4)
    client = CappedClient(
        nb,
        timeout=cell_timeout,
        interrupt_on_timeout=True,
        allow_errors=True,
        kernel_name="python3",
        record_timing=False,
        store_widget_state=False,
        resources={"metadata": {"path": str(source.parent)}},
    )
    outcome: dict[str, Any] = {"cells": [], "died": None}
    try:
        client.execute()
    except DeadKernelError as err:
        outcome["died"] = str(err) or "the kernel died"
    except Exception as err:  # noqa: BLE001 - reported, never raised
        outcome["died"] = f"{type(err).__name__}: {err}"
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            outcome["cells"].append(None)
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        ran = cell.get("execution_count") is not None or bool(cell.get("outputs"))
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        outcome["cells"].append(
            {
                "ran": ran,
                "error": {"ename": errors[0].get("ename", ""), "evalue": errors[0].get("evalue", "")} if errors else None,
                "flooded": CappedClient.sizes.get(index, 0) > OUTPUT_LIMIT_CHARS,
                "stdout": text[-FEEDBACK_LIMIT_CHARS:],
            }
        )
    target.write_text(json.dumps(outcome))


def _run(graded: dict[str, Any], cell_timeout: int) -> dict[str, Any]:
    """Run a notebook in a worker process; always returns an outcome."""
    n_code = sum(1 for c in graded["cells"] if c.get("cell_type") == "code")
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        source, target = Path(tmp) / "submission.ipynb", Path(tmp) / "outcome.json"
        source.write_text(json.dumps(graded))
        command = [sys.executable, "-m", "backprop_book.grade", "--worker", str(source), str(target), str(cell_timeout)]
        wall = cell_timeout * (n_code + 2) + 60
        try:
            proc = subprocess.Popen(
                command, cwd=tmp, preexec_fn=_limit_resources, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as err:
            return {"cells": [], "died": f"could not start the kernel: {err}"}
        try:
            _, stderr = proc.communicate(timeout=wall)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"cells": [], "died": f"the whole notebook took longer than {wall} s and was stopped"}
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # a kernel left behind
            except (ProcessLookupError, PermissionError):
                pass
        if target.is_file():
            try:
                return json.loads(target.read_text())
            except json.JSONDecodeError:
                pass
        tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] if stderr else []
        return {"cells": [], "died": f"the run failed{': ' + tail[0] if tail else ''} (exit code {proc.returncode})"}


# ----------------------------------------------------------------------------
# Scoring


def _describe(error: dict[str, str], timeout: int) -> str:
    """An error of the student's code, in words."""
    ename, evalue = error.get("ename", ""), (error.get("evalue", "") or "").strip()
    if ename in {"KeyboardInterrupt", "CellTimeoutError"} or "Timeout" in ename:
        return f"it ran longer than the {timeout} s limit per cell and was stopped (an endless loop?)"
    if "MemoryError" in ename:  # also numpy's _ArrayMemoryError
        return "it ran out of memory and was stopped"
    return f"{ename}: {evalue}"[:FEEDBACK_LIMIT_CHARS]


def _feedback(error: dict[str, str] | None, cell: dict[str, Any] | None, timeout: int,
              answers_failed: Sequence[tuple[str, dict[str, str]]] = ()) -> str:
    """What to tell the student about one test cell's outcome.

    ``answers_failed`` lists the answer cells above the test that raised, as
    (grade_id, error), so that a name they never defined is traced to them.
    """
    if cell is None or not cell.get("ran"):
        return "not run: an earlier problem stopped the notebook"
    if error is None:
        return "correct"
    ename, evalue = error.get("ename", ""), (error.get("evalue", "") or "").strip()
    if ename == "NotImplementedError":
        return "not answered yet: the answer cell still raises NotImplementedError"
    if ename == "NameError":
        name = evalue.split("'")[1] if evalue.count("'") >= 2 else evalue
        for gid, err in reversed(answers_failed):
            if err.get("ename") == "NotImplementedError":
                return f"not answered yet: {name} is not defined because answer cell '{gid}' still raises NotImplementedError"
        if answers_failed:
            gid, err = answers_failed[-1]
            return f"{name} is not defined: answer cell '{gid}' did not finish: {_describe(err, timeout)}"
        return f"{name} is not defined: was it deleted or renamed? The check needs the name the task asks for."
    if ename == "AssertionError" and evalue:
        return evalue[:FEEDBACK_LIMIT_CHARS]
    return f"the check did not finish: {_describe(error, timeout)}"


def grade_notebook(path: Path, releases: dict[str, dict[str, Any]], cell_timeout: int = 30) -> Submission:
    """Grade one submission. Never raises for anything the submission holds."""
    result = Submission(notebook=str(path))
    try:
        nb = read_notebook(path)
    except NotANotebook as err:
        result.messages.append(f"not graded: {err}")
        return result
    name, how = match_release(path, nb, releases)
    if name is None:
        result.messages.append(f"not graded: {how}")
        return result
    release = releases[name]
    if how != "by file name":
        result.messages.append(f"graded as exercise '{name}', {how}")
    tests = [c for c in release["cells"] if _is_test(c) and _grade_id(c)]
    result.max_score = float(sum(float(_nbgrader(c).get("points", 0) or 0) for c in tests))
    graded, messages = restore(release, nb)
    result.messages.extend(messages)
    outcome = _run(graded, cell_timeout)
    if outcome.get("died"):
        result.messages.append(f"the run stopped early: {outcome['died']}")
    result.ran = bool(outcome.get("cells"))
    by_id: dict[str, dict[str, Any] | None] = {}
    failed_before: dict[str, list[tuple[str, dict[str, str]]]] = {}
    answers_failed: list[tuple[str, dict[str, str]]] = []
    cells = outcome.get("cells", [])
    for index, cell in enumerate(graded["cells"]):
        gid = _grade_id(cell)
        run = cells[index] if index < len(cells) else None
        if gid and _is_test(cell):
            by_id[gid] = run
            failed_before[gid] = list(answers_failed)
        elif gid and _is_solution(cell) and run and run.get("error"):
            answers_failed.append((gid, run["error"]))
    for test in tests:
        gid = _grade_id(test)
        assert gid is not None
        points = float(_nbgrader(test).get("points", 0) or 0)
        run = by_id.get(gid)
        error = run.get("error") if run else None
        passed = bool(run and run.get("ran") and error is None)
        feedback = _feedback(error, run, cell_timeout, failed_before.get(gid, []))
        if outcome.get("died") and not passed and (run is None or not run.get("ran")):
            feedback = f"not run: {outcome['died']}"
        result.questions.append(Question(gid, points if passed else 0.0, points, feedback))
    result.score = sum(q.score for q in result.questions)
    return result


def grade_many(paths: Sequence[Path], releases: dict[str, dict[str, Any]], cell_timeout: int = 30,
               jobs: int = 2) -> list[Submission]:
    def one(path: Path) -> Submission:
        try:
            return grade_notebook(path, releases, cell_timeout)
        except Exception as err:  # noqa: BLE001 - the grader never crashes on a submission
            return Submission(str(path), messages=[f"not graded: internal error {type(err).__name__}: {err}"])

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, paths))


# ----------------------------------------------------------------------------
# Reports


def _points(x: float) -> str:
    return f"{x:g}"


def report(sub: Submission) -> str:
    lines = [f"== {sub.notebook}"]
    lines += [f"   note: {m}" for m in sub.messages]
    for q in sub.questions:
        lines.append(f"   {q.id:<28} {_points(q.score):>4} / {_points(q.max_score):<4} {q.feedback}")
    lines.append(f"   total: {_points(sub.score)} / {_points(sub.max_score)}")
    return "\n".join(lines)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_gradebook_csv(path: Path, subs: Sequence[Submission]) -> None:
    ids: list[str] = []
    for sub in subs:
        for q in sub.questions:
            if q.id not in ids:
                ids.append(q.id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["notebook", "score", "max_score", *ids, "messages"])
    for sub in subs:
        scores = {q.id: _points(q.score) for q in sub.questions}
        writer.writerow([sub.notebook, _points(sub.score), _points(sub.max_score),
                         *(scores.get(i, "") for i in ids), " | ".join(sub.messages)])
    _atomic_write(path, buffer.getvalue())


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        _worker(Path(argv[1]), Path(argv[2]), int(argv[3]))
        return EXIT_OK
    parser = argparse.ArgumentParser(
        prog="python -m backprop_book.grade",
        description="Grade exercise notebooks of Backprop, Step by Step.",
        epilog=__doc__.split("Exit codes:")[1].join(["Exit codes:", ""]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK", help="submissions to grade")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON (a list, one object per submission)")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="write a gradebook as CSV (one row per submission)")
    parser.add_argument("--timeout", type=int, default=30, metavar="S", help="time limit per cell, in seconds (default 30)")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1), metavar="N", help="submissions graded at once")
    parser.add_argument("--release", type=Path, default=DEFAULT_RELEASE, metavar="DIR", help="folder of the released exercises (default: the course's exercises/)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code == 0 else EXIT_USAGE
    if args.timeout < 1 or args.jobs < 1:
        print("--timeout and --jobs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        releases = load_releases(args.release)
    except NotANotebook as err:
        print(f"a released exercise in {args.release} cannot be read: {err}", file=sys.stderr)
        return EXIT_USAGE
    if not releases:
        print(f"no released exercises found in {args.release}", file=sys.stderr)
        return EXIT_USAGE
    subs = grade_many(args.notebooks, releases, args.timeout, args.jobs)
    for sub in subs:
        print(report(sub))
    if len(subs) > 1:
        total = sum(s.score for s in subs)
        print(f"== {len(subs)} submissions graded, mean score {_points(round(total / len(subs), 2))}")
    if args.json:
        _atomic_write(args.json, json.dumps([s.as_json() for s in subs], indent=2) + "\n")
    if args.csv:
        write_gradebook_csv(args.csv, subs)
    return EXIT_OK if all(s.ran for s in subs) else EXIT_UNGRADABLE


if __name__ == "__main__":
    sys.exit(main())
