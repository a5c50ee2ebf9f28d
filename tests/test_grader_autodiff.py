"""Exercise 8, from deltas to automatic differentiation: full marks for the solution, zero for the untouched
exercise, and feedback that names each catalogued mistake without showing the solution's code."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from backprop_book import numerical_gradient
from backprop_book.checks import autodiff
from backprop_book.grade import grade_many
from exercise_support import RELEASES, feedback, score, with_answer
from exercise_support import solution as solution_of

ROOT = Path(__file__).resolve().parent.parent
NAME = "08_autodiff"
SOLUTION, EXERCISE = ROOT / "solutions" / f"{NAME}.ipynb", ROOT / "exercises" / f"{NAME}.ipynb"
TIMEOUT = 10  # seconds per cell
QUESTIONS = ["check-add", "check-mul", "check-pow", "check-tanh-exp", "check-topological-order", "check-backward",
             "check-step", "check-network"]
# Code that feedback must never show: the closures' updates, the derivatives, the sort's and the sweep's code.
CODE = ("+=", "-=", "grad =", "out.data", "self.data", "other.data", "math.", "np.", "reversed(", "1 - ", "(1 - ",
        "@", ".T", "axis=", "visited.add", "append(")


def solution() -> dict:
    return solution_of(NAME)


def test_solution_scores_full_marks_and_the_exercise_zero() -> None:
    sol, ex = grade_many([SOLUTION, EXERCISE], RELEASES, TIMEOUT, jobs=2)
    assert [q.id for q in sol.questions] == QUESTIONS
    assert sol.max_score == 12 and sol.score == 12, [(q.id, q.feedback) for q in sol.questions]
    assert sol.messages == []
    assert ex.ran and ex.score == 0 and ex.max_score == 12
    assert all(q.feedback.startswith("not answered yet") for q in ex.questions), ex.questions


# ----------------------------------------------------------------------------
# The catalogue: each mistake made in ONE answer cell of an otherwise correct solution.


def binary(name: str, sym: str, data: str, back_self: str, back_other: str, *, as_value: bool = True,
           parents: str = "(self, other)", store: bool = True) -> str:
    return (f"@method\ndef {name}(self, other):\n"
            + ("    other = as_value(other)\n" if as_value else "")
            + f"    out = Value({data}, {parents}, '{sym}')\n"
            f"    def _backward():\n        {back_self}\n        {back_other}\n"
            + ("    out._backward = _backward\n" if store else "")
            + "    return out")


def add_fn(back_self: str = "self.grad += out.grad", back_other: str = "other.grad += out.grad", **kw) -> str:
    return binary("__add__", "+", "self.data + other.data", back_self, back_other, **kw)


def mul_fn(back_self: str = "self.grad += other.data * out.grad",
           back_other: str = "other.grad += self.data * out.grad") -> str:
    return binary("__mul__", "*", "self.data * other.data", back_self, back_other)


def pow_fn(back: str) -> str:
    return ("@method\ndef __pow__(self, c):\n    out = Value(self.data ** c, (self,), 'pow')\n"
            f"    def _backward():\n        {back}\n    out._backward = _backward\n    return out")


def unary(name: str, fn: str, back: str) -> str:
    return (f"@method\ndef {name}(self):\n    out = Value({fn}(self.data), (self,), '{name}')\n"
            f"    def _backward():\n        {back}\n    out._backward = _backward\n    return out\n\n\n")


def tanh_exp_fn(tanh: str = "self.grad += (1.0 - out.data ** 2) * out.grad",
                exp: str = "self.grad += out.data * out.grad") -> str:
    return unary("tanh", "math.tanh", tanh) + unary("exp", "math.exp", exp)


def topo_dfs(*, append_first: bool = False, key: str = "node", skip_leaves: bool = False, ret: str = "order",
             shared: bool = False) -> str:
    """The chapter's depth-first sort, or one of its mistakes."""
    start = "" if shared else "    order, visited = [], set()\n"
    body = f"    def visit(node):\n        if {key} not in visited:\n            visited.add({key})\n"
    if append_first:
        body += "            order.append(node)\n"
    body += "            for parent in node.parents:\n                visit(parent)\n"
    if not append_first:
        body += ("            if node.parents:\n                order.append(node)\n" if skip_leaves
                 else "            order.append(node)\n")
    source = "def topological_order(root):\n" + start + body + f"    visit(root)\n    return {ret}"
    return ("order, visited = [], set()   # shared by every call\n\n\n" + source) if shared else source


TOPO_BREADTH_FIRST = ("def topological_order(root):\n    order, seen = [root], {root}\n    i = 0\n"
                      "    while i < len(order):\n        for p in order[i].parents:\n            if p not in seen:\n"
                      "                seen.add(p)\n                order.append(p)\n        i += 1\n"
                      "    return order[::-1]")
TOPO_NO_VISITED = ("def topological_order(root):\n    order = []\n    def visit(node):\n"
                   "        for p in node.parents:\n            visit(p)\n        order.append(node)\n"
                   "    visit(root)\n    return order")


def backward_fn(body: str) -> str:
    return "@method\ndef backward(self):\n" + body


ZERO_GRAD = "def zero_grad(root):\n    for node in topological_order(root):\n        node.grad = 0.0\n\n\n"


def step_fn(zero: str = "    zero_grad(loss)\n", after: str = "", sign: str = "-=", ret: str = "loss.data") -> str:
    return (ZERO_GRAD + "def step(params, loss_fn, eta):\n    loss = loss_fn()\n" + zero + "    loss.backward()\n"
            + after + f"    for p in params:\n        p.data {sign} eta * p.grad\n    return {ret}")


def zero_grad_fn(condition: str) -> str:
    return ("def zero_grad(root):\n    for node in topological_order(root):\n"
            f"        if {condition}:\n            node.grad = 0.0\n\n\n"
            "def step(params, loss_fn, eta):\n    loss = loss_fn()\n    zero_grad(loss)\n    loss.backward()\n"
            "    for p in params:\n        p.data -= eta * p.grad\n    return loss.data")


def network_fn(w1: str = "W1[j][k]", z1: str = "z = b1[k]", output: str = "1 / (1 + (-z).exp())",
               scale: str = "0.5 / len(X)", end: str = "") -> str:
    return ("def network_loss(W1, b1, W2, b2, X, Y):\n"
            "    n_0, n_1, n_2 = len(W1), len(b1), len(b2)\n    total = 0.0\n"
            "    for s in range(len(X)):\n        a1 = []\n        for k in range(n_1):\n"
            f"            {z1}\n            for j in range(n_0):\n                z = z + X[s, j] * {w1}\n"
            "            a1.append(z.tanh())\n        for m in range(n_2):\n            z = b2[m]\n"
            "            for k in range(n_1):\n                z = z + a1[k] * W2[k][m]\n"
            f"            y_hat = {output}\n            total = total + (y_hat - Y[s, m]) ** 2\n"
            f"    loss = total * ({scale})\n{end}    return loss")


MISTAKES = {
    # 1. addition
    "add-sets": ("add", add_fn("self.grad = out.grad", "other.grad = out.grad"), "check-add", "instead of adding"),
    "add-no-chain": ("add", add_fn("self.grad += 1.0", "other.grad += 1.0"), "check-add", "local derivative alone"),
    "add-first-parent-only": ("add", add_fn(back_other="pass"), "check-add", "a share to EACH parent"),
    "add-no-parents": ("add", add_fn(parents="()"), "check-add", "parents do not hold"),
    "add-closure-not-stored": ("add", add_fn(store=False), "check-add", "stored in the new node's _backward"),
    "add-changes-its-operand": ("add", "@method\ndef __add__(self, other):\n    other = as_value(other)\n"
                                       "    self.data += other.data\n    return self", "check-add", "NEW node"),
    "add-number-not-a-leaf": ("add", add_fn(as_value=False), "check-add", "as_value"),
    # 2. multiplication
    "mul-swapped-factor": ("mul", mul_fn("self.grad += self.data * out.grad", "other.grad += other.data * out.grad"),
                           "check-mul", "OTHER factor"),
    "mul-sets": ("mul", mul_fn("self.grad = other.data * out.grad", "other.grad = self.data * out.grad"),
                 "check-mul", "u is both factors"),
    "mul-no-chain": ("mul", mul_fn("self.grad += other.data", "other.grad += self.data"), "check-mul",
                     "local derivative alone"),
    "mul-product": ("mul", mul_fn("self.grad += out.data * out.grad", "other.grad += out.data * out.grad"),
                    "check-mul", "not the product"),
    "mul-nodes-not-numbers": ("mul", mul_fn("self.grad += other * out.grad", "other.grad += self * out.grad"),
                              "check-mul", "is a Value node, not a number"),
    # 3. powers
    "pow-not-lowered": ("pow", pow_fn("self.grad += c * self.data ** c * out.grad"), "check-pow", "not lowered"),
    "pow-no-factor-c": ("pow", pow_fn("self.grad += self.data ** (c - 1) * out.grad"), "check-pow", "factor c"),
    "pow-sets": ("pow", pow_fn("self.grad = c * self.data ** (c - 1) * out.grad"), "check-pow", "two consumers"),
    # 4. tanh and exp
    "tanh-handed-the-input": ("tanh-exp", tanh_exp_fn(tanh="self.grad += (1.0 - self.data ** 2) * out.grad"),
                              "check-tanh-exp", "handed the input u"),
    "tanh-sigmoid-derivative": ("tanh-exp", tanh_exp_fn(tanh="self.grad += out.data * (1.0 - out.data) * out.grad"),
                                "check-tanh-exp", "sigmoid's derivative"),
    "tanh-sets": ("tanh-exp", tanh_exp_fn(tanh="self.grad = (1.0 - out.data ** 2) * out.grad"), "check-tanh-exp",
                  "instead of adding"),
    "exp-times-input": ("tanh-exp", tanh_exp_fn(exp="self.grad += self.data * out.grad"), "check-tanh-exp",
                        "the exponential itself"),
    "exp-sets": ("tanh-exp", tanh_exp_fn(exp="self.grad = out.data * out.grad"), "check-tanh-exp",
                 "instead of adding"),
    # 5. the topological order: breadth first fails where a node reaches the root along two paths
    "topo-breadth-first": ("topological-order", TOPO_BREADTH_FIRST, "check-topological-order",
                           "breadth-first search"),
    "topo-no-visited-set": ("topological-order", TOPO_NO_VISITED, "check-topological-order", "listed 2 times"),
    "topo-root-first": ("topological-order", topo_dfs(ret="order[::-1]"), "check-topological-order", "in reverse"),
    "topo-preorder": ("topological-order", topo_dfs(append_first=True), "check-topological-order",
                      "as soon as it is reached"),
    "topo-list-shared-by-calls": ("topological-order", topo_dfs(shared=True), "check-topological-order",
                                  "earlier call"),
    "topo-no-leaves": ("topological-order", topo_dfs(skip_leaves=True), "check-topological-order",
                       "the leaves included"),
    "topo-visited-by-number": ("topological-order", topo_dfs(key="node.data"), "check-topological-order",
                               "same number"),
    # 6. backward
    "backward-no-seed": ("backward", backward_fn("    for node in reversed(topological_order(self)):\n"
                                                 "        node._backward()"), "check-backward", "dL/dL = 1"),
    "backward-not-reversed": ("backward", backward_fn("    self.grad = 1.0\n    for node in topological_order(self):\n"
                                                      "        node._backward()"), "check-backward", "leaves first"),
    "backward-seed-after": ("backward", backward_fn("    for node in reversed(topological_order(self)):\n"
                                                    "        node._backward()\n    self.grad = 1.0"),
                            "check-backward", "seed was set after"),
    "backward-breadth-first": ("backward", backward_fn("    self.grad = 1.0\n    queue, seen = [self], {self}\n"
                                                       "    while queue:\n        node = queue.pop(0)\n"
                                                       "        node._backward()\n        for p in node.parents:\n"
                                                       "            if p not in seen:\n                seen.add(p)\n"
                                                       "                queue.append(p)"),
                               "check-backward", "visited breadth first"),
    # 7. zero_grad and a step
    "zero-grad-leaves-only": ("step", zero_grad_fn("not node.parents"), "check-step", "intermediate nodes still hold"),
    "zero-grad-root-only": ("step", zero_grad_fn("node is root"), "check-step", "leaves still hold a gradient"),
    "step-not-zeroing": ("step", step_fn(zero=""), "check-step", "sum of both steps' gradients"),
    "step-zeroing-after-the-sweep": ("step", step_fn(zero="", after="    zero_grad(loss)\n"), "check-step",
                                     "set to zero after the sweep"),
    "step-uphill": ("step", step_fn(sign="+="), "check-step", "up the gradient"),
    "step-returns-the-node": ("step", step_fn(ret="loss"), "check-step", "returned the loss node"),
    # 8. the network; its first check network has a square W1
    "net-summed": ("network", network_fn(scale="0.5"), "check-network", "summed over the samples"),
    "net-no-half": ("network", network_fn(scale="1 / len(X)"), "check-network", "factor 1/2"),
    "net-tanh-output": ("network", network_fn(output="z.tanh()"), "check-network", "output layer uses tanh"),
    "net-no-hidden-bias": ("network", network_fn(z1="z = 0.0"), "check-network", "biases b1 are missing"),
    "net-swapped-indices": ("network", network_fn(w1="W1[k][j]"), "check-network", "indices swapped"),
    "net-new-leaves": ("network", network_fn(w1="Value(W1[j][k].data)"), "check-network",
                       "dL/dW1 (the grads of the W1 leaves) is zero everywhere"),
    "net-sigmoid-off-the-graph": ("network", network_fn(output="Value(1 / (1 + math.exp(-z.data)))"),
                                  "check-network", "none of the given weight and bias leaves"),
    "net-sweeps-itself": ("network", network_fn(end="    loss.backward()\n"), "check-network",
                          "ran a backward sweep itself"),
}

# Later tasks use earlier ones, so a mistake there may also fail these checks.
CASCADES = {
    "add": {"check-network"},           # the network is built with the learner's operations
    "mul": {"check-network"},
    "pow": {"check-network"},
    "tanh-exp": {"check-network"},
    "topological-order": {"check-backward", "check-step"},   # backward and zero_grad call it
    "backward": {"check-step"},                              # step calls it
}


def test_each_catalogued_mistake_gets_its_own_feedback(tmp_path: Path) -> None:
    paths = []
    for name, (answer, source, _, _) in MISTAKES.items():
        path = tmp_path / f"{name}.ipynb"
        path.write_text(json.dumps(with_answer(solution(), answer, source)))
        paths.append(path)
    subs = {Path(s.notebook).stem: s for s in grade_many(paths, RELEASES, TIMEOUT, jobs=2)}
    for name, (answer, _, question, words) in MISTAKES.items():
        sub = subs[name]
        assert f"graded as exercise '{NAME}'" in " ".join(sub.messages)  # matched by metadata
        text = feedback(sub, question)
        assert score(sub, question) == 0, (name, text)
        assert words in text, (name, text)
        assert not any(code in text for code in CODE), (name, text)
        excused = {question} | CASCADES.get(answer, set())
        others = [q for q in sub.questions if q.id not in excused]
        assert all(q.score == q.max_score for q in others), (name, others)


# ----------------------------------------------------------------------------
# The crafted graphs and networks, without a kernel


class V:
    """A class with the exercise's constructor, as the checks see the learner's."""

    def __init__(self, data: float, parents: tuple = (), op: str = "") -> None:
        self.data, self.grad, self.parents, self.op = float(data), 0.0, tuple(parents), op
        self._backward = lambda: None


@pytest.mark.parametrize("build", autodiff._GRAPHS, ids=lambda build: build.__name__)
def test_the_checks_sweep_agrees_with_central_differences(build) -> None:
    graph = build(V)
    autodiff._sweep(graph.root)
    nodes = autodiff._order(graph.root)
    leaves = [node for node in nodes if not node.parents]
    values = np.array([leaf.data for leaf in leaves])

    def forward() -> float:  # the same graph again, on the nudged leaf values
        again = build(V)
        for leaf, value in zip([n for n in autodiff._order(again.root) if not n.parents], values):
            leaf.data = value
        for node in autodiff._order(again.root):  # recompute every operation's data from its parents
            if node.op == "+":
                node.data = node.parents[0].data + node.parents[1].data
            elif node.op == "*":
                node.data = node.parents[0].data * node.parents[1].data
            elif node.op == "tanh":
                node.data = math.tanh(node.parents[0].data)
        return again.root.data

    measured = numerical_gradient(forward, values)
    grads = np.array([leaf.grad for leaf in leaves])
    assert np.linalg.norm(grads - measured) / (np.linalg.norm(grads) + np.linalg.norm(measured)) < 1e-8


def test_breadth_first_is_not_topological_on_the_two_paths_graph() -> None:
    graph = autodiff._two_paths(V)
    assert autodiff._valid(autodiff._order(graph.root)) is None
    assert autodiff._valid(list(reversed(autodiff._breadth_first(graph.root)))) is not None
    right = autodiff._variant(autodiff._two_paths, V, autodiff._sweep)
    assert not np.allclose(autodiff._variant(autodiff._two_paths, V, autodiff._bfs_sweep), right)


def test_the_graphs_reuse_nodes_and_the_diamond_has_equal_leaves() -> None:
    for build in autodiff._GRAPHS[1:]:
        nodes = autodiff._order(build(V).root)
        uses = [id(p) for node in nodes for p in node.parents]
        assert len(uses) > len(set(uses)), build.__name__  # some node has several consumers
    leaves = [n for n in autodiff._order(autodiff._diamond(V).root) if not n.parents]
    assert len(leaves) == 2 and leaves[0].data == leaves[1].data


def test_each_sweep_mistake_differs_from_the_right_sweep() -> None:
    """On every graph, except breadth first, which is right where every path to a node has one length."""
    for build in autodiff._GRAPHS:
        right = autodiff._variant(build, V, autodiff._sweep)
        for sweep, _ in autodiff._SWEEP_MISTAKES:
            same = np.allclose(autodiff._variant(build, V, sweep), right)
            assert same == (sweep is autodiff._bfs_sweep and build in (autodiff._chain, autodiff._diamond)), \
                (build.__name__, sweep.__name__)


def test_the_steps_without_zeroing_differ_at_the_second_step() -> None:
    args = ([0.4, -0.6, 0.1], [0.5, -1.2], 0.8, 0.5, V)
    right, summed = autodiff._steps(*args), autodiff._steps(*args, zero=False)
    assert np.allclose(right[0][1], summed[0][1]) and not np.allclose(right[1][1], summed[1][1])
    assert right[1][0] < right[0][0]  # the step lowers the loss


def test_the_networks_shapes_and_the_matrix_formulas() -> None:
    square, different = (autodiff._net(*spec) for spec in autodiff._NETS)
    assert square.W1.shape[0] == square.W1.shape[1]
    sizes = (*different.W1.shape, different.W2.shape[1])
    assert len(set(sizes)) == 3 and different.B not in sizes
    for net in (square, different):
        for grad, param in zip(net.gradients(), (net.W1, net.b1, net.W2, net.b2)):
            measured = numerical_gradient(net.loss, param)
            assert np.linalg.norm(grad - measured) / (np.linalg.norm(grad) + np.linalg.norm(measured)) < 1e-7
