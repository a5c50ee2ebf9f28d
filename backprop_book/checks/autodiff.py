"""Checks of exercise 8, from deltas to automatic differentiation (chapter 8).

The learner completes a scalar autodiff engine: a class ``Value`` (given in the
exercise's setup cell, with ``data``, ``grad``, ``parents``, ``op`` and a
``_backward`` closure) whose operations are attached one cell at a time, a
topological sort, ``backward``, ``zero_grad`` with a gradient-descent ``step``,
and a two-layer network built from ``Value`` nodes. The checks are handed the
learner's class and functions and run them on small crafted graphs.

Each check tests one piece on its own, as far as the engine allows:

- An operation is checked by calling it on fresh leaves, setting the output's
  ``grad`` to a number other than 1 and calling the output's ``_backward``
  directly, so that no sweep is needed. A parent that already holds a gradient
  (from another consumer) and an operand used twice (``u + u``) show a closure
  that sets the parents' gradients instead of adding to them.
- The sort, ``backward``, ``zero_grad`` and ``step`` run on graphs that the check
  builds from the learner's class with operations of its own (``_add``, ``_mul``,
  ``_tanh``: nodes of the learner's class with the check's closures), so a wrong
  operation of the learner's cannot make them fail. ``backward`` calls the
  learner's ``topological_order`` and ``step`` calls both, so a mistake there
  shows in their checks too.
- The network's loss is built by the learner's operations; its gradients are
  filled in by the check's own sweep (``_sweep``) and compared with the matrix
  formulas of chapter 4 (each weight's gradient is its input times the delta).

Small generic helpers live here rather than in ``checks/__init__``: ``_expect``
compares one number with the right one and with known mistakes (``diagnose``'s
fallbacks speak of losses and batches, which would mislead for a local
derivative), and ``_order`` / ``_sweep`` are the reference sort and sweep.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Callable, Sequence

import numpy as np

from . import call, diagnose, fail, passed

__all__ = ["add", "mul", "power", "tanh_exp", "topological_order", "backward", "step", "network"]

CHAPTER = "chapter 8"
G = 1.7  # the output's gradient the operation checks hand to _backward (not 1, so a missing factor shows)

# ----------------------------------------------------------------------------
# Feedback shared by the operation checks. None of it shows code.

SETS = ("the closure sets the parent's gradient instead of adding to it. A node collects one share from each "
        "of its consumers, and one per use when a node uses it twice: eq. ch8-consumers sums them "
        f"({CHAPTER}, 'Setting the gradient instead of accumulating it').")
NO_CHAIN = ("it received the local derivative alone. By the chain rule, eq. ch8-consumers, a parent receives "
            "the output's gradient (the new node's grad) times the local derivative.")
DATA = "the new node's data should hold the result of the operation on its operands' data."
NOTHING = ("nothing was added to it. Is the closure stored in the new node's _backward, and does it hand a "
           "share to every parent?")


def _not_a_number(value: Any, V: type, what: str) -> None:
    if isinstance(value, V):
        fail(f"{what} is a Value node, not a number. The closure must compute the gradients from the numbers "
             "the forward pass stored (each node's data), not from the nodes themselves.")
    if isinstance(value, bool) or not isinstance(value, Real):
        fail(f"{what} should be a number; got {type(value).__name__}.")


def _expect(got: Any, want: float, what: str, mistakes: Sequence[tuple[float, str]] = (), *,
            zero: str = NOTHING, hint: str = "", V: type | None = None) -> None:
    """Pass if the number ``got`` is ``want``; otherwise fail with the likeliest explanation."""
    if V is not None:
        _not_a_number(got, V, what)
    elif isinstance(got, bool) or not isinstance(got, Real):
        fail(f"{what} should be a number; got {type(got).__name__}.")
    got = float(got)
    if not math.isfinite(got):
        fail(f"{what} is {got}, not a finite number.")

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-9 * max(1.0, abs(b))

    if close(got, want):
        return
    for value, feedback in mistakes:
        if close(got, value):
            fail(f"{what}: {feedback}")
    if got == 0.0:
        fail(f"{what} is 0: {zero}")
    if want != 0 and close(got, -want):
        fail(f"{what} has the right size but the opposite sign: check the sign of the local derivative.")
    fail(f"{what} is {got:.6g}, which is not right and matches none of the common mistakes. {hint}".rstrip())


# ----------------------------------------------------------------------------
# The check's own operations, sort and sweep. Nodes are of the learner's class.


def _leaf(V: type, x: float) -> Any:
    return V(float(x))


def _add(a: Any, b: Any) -> Any:
    out = type(a)(a.data + b.data, (a, b), "+")

    def back() -> None:
        a.grad += out.grad
        b.grad += out.grad

    out._backward = back
    return out


def _mul(a: Any, b: Any) -> Any:
    out = type(a)(a.data * b.data, (a, b), "*")

    def back() -> None:
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    out._backward = back
    return out


def _tanh(a: Any) -> Any:
    out = type(a)(math.tanh(a.data), (a,), "tanh")

    def back() -> None:
        a.grad += (1.0 - out.data**2) * out.grad

    out._backward = back
    return out


def _order(root: Any) -> list[Any]:
    """Every node of root's graph, each after all of its parents (depth-first post-order, no recursion)."""
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent in reversed(tuple(node.parents)):
            if id(parent) not in seen:
                stack.append((parent, False))
    return order


def _preorder(root: Any) -> list[Any]:
    """Each node when first reached, before its parents (a mistake)."""
    order: list[Any] = []
    seen: set[int] = set()

    def visit(node: Any) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        order.append(node)
        for parent in node.parents:
            visit(parent)

    visit(root)
    return order


def _breadth_first(root: Any) -> list[Any]:
    """The loss, then its parents, then theirs, each node when first reached (a mistake)."""
    order, seen, i = [root], {id(root)}, 0
    while i < len(order):
        for parent in order[i].parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                order.append(parent)
        i += 1
    return order


def _sweep(root: Any) -> None:
    """The right backward sweep: seed dL/dL = 1, then every node in reverse topological order."""
    root.grad = 1.0
    for node in reversed(_order(root)):
        node._backward()


# ----------------------------------------------------------------------------
# Calling the learner's operations


def _operation(thunk: Callable[[], Any], V: type, expr: str, operands: Sequence[Any], *,
               number: bool = False) -> Any:
    """Run one operation; it must return a NEW node of the class, with its operands among its parents."""
    data = [u.data for u in operands]
    try:
        out = call(thunk, what=expr, copy_inputs=False)
    except AssertionError as err:
        if number and ("AttributeError" in str(err) or "TypeError" in str(err)):
            fail(f"{err} A plain number must first become a leaf node (as_value) before its data can be read.")
        raise
    if not isinstance(out, V):
        fail(f"{expr} should return a new Value node; got {type(out).__name__}.")
    if any(out is u for u in operands):
        fail(f"{expr} returned one of its operands, changed: an operation makes a NEW node and leaves its "
             "inputs as they were.")
    if [u.data for u in operands] != data:
        fail(f"{expr} changed the data of its operand: an operation makes a new node and leaves its inputs as "
             "they were.")
    parents = tuple(getattr(out, "parents", ()))
    for u in operands:
        if not any(p is u for p in parents):
            fail(f"{expr}: the new node's parents do not hold its operand. The parents are the nodes it was "
                 "computed from; the backward sweep finds them there, and without them it cannot reach the "
                 "inputs.")
    return out


def _hand_back(out: Any, expr: str, grad: float = G) -> None:
    """Set the output's gradient and run its closure once, as the sweep would."""
    out.grad = grad
    call(lambda: out._backward(), what=f"the _backward of {expr}", copy_inputs=False)


def _grad(node: Any) -> Any:
    return getattr(node, "grad", None)


# ----------------------------------------------------------------------------
# 1. Addition


def add(V: type) -> None:
    """``Value.__add__``: the sum, its parents, and its closure (eq. ch8-add-sub)."""
    hint = f"Each addend's local derivative is 1 (eq. ch8-add-sub, {CHAPTER})."
    u, v = V(1.5), V(-0.7)
    out = _operation(lambda: u + v, V, "u + v", (u, v))
    _expect(out.data, 0.8, "(u + v).data", [(-1.05, "this is the product; the node holds the sum.")], zero=DATA)
    _hand_back(out, "u + v")
    case = f"u + v (u = 1.5, v = -0.7), after its _backward with the output's grad {G}"
    _expect(_grad(u), G, f"{case}: u.grad", [(1.0, NO_CHAIN)], hint=hint, V=V)
    _expect(_grad(v), G, f"{case}: v.grad", [(1.0, NO_CHAIN)], hint=hint, V=V,
            zero="the second operand got nothing: the closure must hand a share to EACH parent.")

    u = V(1.5)
    out = _operation(lambda: u + 2.5, V, "u + 2.5", (u,), number=True)
    _expect(out.data, 4.0, "(u + 2.5).data", zero=DATA)
    _hand_back(out, "u + 2.5")
    _expect(_grad(u), G, f"u + 2.5, after its _backward with the output's grad {G}: u.grad", [(1.0, NO_CHAIN)],
            hint=hint, V=V)
    u = V(1.5)
    out = _operation(lambda: 2.5 + u, V, "2.5 + u", (u,), number=True)
    _hand_back(out, "2.5 + u")
    _expect(_grad(u), G, f"2.5 + u, after its _backward with the output's grad {G}: u.grad", [(1.0, NO_CHAIN)],
            hint=hint, V=V)

    u = V(1.5)
    out = _operation(lambda: u + u, V, "u + u", (u,))
    _expect(out.data, 3.0, "(u + u).data", zero=DATA)
    _hand_back(out, "u + u")
    _expect(_grad(u), 2 * G, f"u + u, after its _backward with the output's grad {G}: u.grad",
            [(G, SETS), (1.0, SETS + " Also, " + NO_CHAIN), (2.0, NO_CHAIN)], hint=hint, V=V)

    u, v = V(1.5), V(-0.7)
    u.grad = 0.25
    out = _operation(lambda: u + v, V, "u + v", (u, v))
    _hand_back(out, "u + v")
    _expect(_grad(u), 0.25 + G, f"u + v where u already holds the gradient 0.25 from another consumer, after "
            f"the sum's _backward with the output's grad {G}: u.grad", [(G, SETS), (0.25, NOTHING)], hint=hint, V=V)
    passed("__add__")


# ----------------------------------------------------------------------------
# 2. Multiplication


def mul(V: type) -> None:
    """``Value.__mul__``: each factor's local derivative is the other factor (eq. ch8-mul-div)."""
    hint = f"Each factor's local derivative is the other factor (eq. ch8-mul-div, {CHAPTER})."
    swapped = ("each factor received its OWN value times the output's gradient; a factor's local derivative "
               f"is the OTHER factor (eq. ch8-mul-div, {CHAPTER}).")
    product = "the local derivative is the other factor, not the product (the new node's data)."
    x, y = 1.5, -0.7
    u, v = V(x), V(y)
    out = _operation(lambda: u * v, V, "u * v", (u, v))
    _expect(out.data, x * y, "(u * v).data", [(x + y, "this is the sum; the node holds the product.")],
            zero=DATA)
    _hand_back(out, "u * v")
    case = f"u * v (u = {x}, v = {y}), after its _backward with the output's grad {G}"
    _expect(_grad(u), y * G, f"{case}: u.grad", [(x * G, swapped), (y, NO_CHAIN), (x * y * G, product)],
            hint=hint, V=V)
    _expect(_grad(v), x * G, f"{case}: v.grad", [(y * G, swapped), (x, NO_CHAIN), (x * y * G, product)],
            hint=hint, V=V, zero="the second factor got nothing: the closure must hand a share to EACH parent.")

    for expr, thunk in (("u * 3.0", lambda u: u * 3.0), ("3.0 * u", lambda u: 3.0 * u)):
        u = V(x)
        out = _operation(lambda: thunk(u), V, expr, (u,), number=True)
        _expect(out.data, 3.0 * x, f"({expr}).data", zero=DATA)
        _hand_back(out, expr)
        _expect(_grad(u), 3.0 * G, f"{expr} (u = {x}), after its _backward with the output's grad {G}: u.grad",
                [(x * G, swapped), (3.0, NO_CHAIN)], hint=hint, V=V)

    u = V(x)
    out = _operation(lambda: u * u, V, "u * u", (u,))
    _expect(out.data, x * x, "(u * u).data", zero=DATA)
    _hand_back(out, "u * u")
    _expect(_grad(u), 2 * x * G, f"u * u (u = {x}), after its _backward with the output's grad {G}: u.grad",
            [(x * G, SETS + " Here u is both factors, so it gets two shares."), (2 * x, NO_CHAIN),
             (x, SETS + " Also, " + NO_CHAIN)], hint=hint, V=V)

    u, v = V(x), V(y)
    u.grad = 0.25
    out = _operation(lambda: u * v, V, "u * v", (u, v))
    _hand_back(out, "u * v")
    _expect(_grad(u), 0.25 + y * G, f"u * v (u = {x}, v = {y}) where u already holds the gradient 0.25 from "
            f"another consumer, after the product's _backward with the output's grad {G}: u.grad",
            [(y * G, SETS), (0.25, NOTHING), (0.25 + x * G, swapped)], hint=hint, V=V)
    passed("__mul__")


# ----------------------------------------------------------------------------
# 3. Powers with a constant exponent


def power(V: type) -> None:
    """``Value.__pow__(c)`` for a plain number c (eq. ch8-pow)."""
    hint = f"Differentiate u to the power c with respect to u (eq. ch8-pow, {CHAPTER})."
    for x, c in ((1.5, 2), (-0.7, 3), (1.5, -1), (2.0, 0.5)):
        u = V(x)
        expr = f"u ** {c}"
        out = _operation(lambda: u**c, V, expr, (u,))
        _expect(out.data, x**c, f"({expr}).data (u = {x})", [(c * x, "this is c times u, not u to the power c.")],
                zero=DATA)
        _hand_back(out, expr)
        right = c * x ** (c - 1) * G
        _expect(_grad(u), right, f"{expr} (u = {x}), after its _backward with the output's grad {G}: u.grad", [
            (c * x**c * G, "the power of u is not lowered: differentiating u to the power c leaves one power "
                           "of u fewer (eq. ch8-pow)."),
            (x ** (c - 1) * G, "the factor c, the exponent brought down in front, is missing (eq. ch8-pow)."),
            ((c - 1) * x ** (c - 1) * G, "the factor in front is the exponent c itself, not one less."),
            (c * x ** (c - 1), NO_CHAIN),
            (x**c * G, "this is the output's value, not the local derivative."),
        ], hint=hint, V=V)

    x = 1.3
    u = V(x)
    p = _operation(lambda: u**2, V, "u ** 2", (u,))
    q = _operation(lambda: u**3, V, "u ** 3", (u,))
    p.grad, q.grad = G, -0.6
    call(lambda: p._backward(), what="the _backward of u ** 2", copy_inputs=False)
    call(lambda: q._backward(), what="the _backward of u ** 3", copy_inputs=False)
    share_p, share_q = 2 * x * G, 3 * x**2 * -0.6
    _expect(_grad(u), share_p + share_q, f"u ** 2 and u ** 3 on the same u (u = {x}), after both _backward "
            f"closures with the outputs' grads {G} and -0.6: u.grad",
            [(share_q, SETS + " Here u has two consumers, u ** 2 and u ** 3."), (share_p, NOTHING)], hint=hint, V=V)
    passed("__pow__")


# ----------------------------------------------------------------------------
# 4. tanh and exp


def tanh_exp(V: type) -> None:
    """``Value.tanh`` and ``Value.exp`` (eqs. ch8-activations and ch8-exp-log)."""
    hint = ("tanh's derivative can be written from its output, which the new node holds (eq. ch8-activations, "
            f"{CHAPTER}).")
    for x in (0.4, -1.3):
        u = V(x)
        t = math.tanh(x)
        out = _operation(lambda: u.tanh(), V, "u.tanh()", (u,))
        _expect(out.data, t, f"u.tanh().data (u = {x})", zero=DATA)
        _hand_back(out, "u.tanh()")
        _expect(_grad(u), (1 - t * t) * G, f"u.tanh() (u = {x}), after its _backward with the output's grad {G}: "
                "u.grad", [
                    ((1 - x * x) * G, "the derivative written from the output was handed the input u. The output "
                                      "is v = tanh(u), and the new node holds it."),
                    (t * (1 - t) * G, "this is the sigmoid's derivative written from the output; tanh has its own "
                                      "(eq. ch8-activations)."),
                    ((1 - math.tanh(t) ** 2) * G, "the derivative written for the input u was handed the output v, "
                                                  "so tanh is applied twice."),
                    ((1 - t * t), NO_CHAIN),
                    ((1 - t) * G, "the output enters tanh's derivative squared."),
                    (t * G, "this is tanh itself times the output's gradient, not its derivative."),
                ], hint=hint, V=V)
    u = V(0.4)
    u.grad = 0.25
    out = _operation(lambda: u.tanh(), V, "u.tanh()", (u,))
    _hand_back(out, "u.tanh()")
    t = math.tanh(0.4)
    _expect(_grad(u), 0.25 + (1 - t * t) * G, "u.tanh() where u already holds the gradient 0.25 from another "
            f"consumer, after its _backward with the output's grad {G}: u.grad", [((1 - t * t) * G, SETS)],
            hint=hint, V=V)

    hint = f"The exponential is its own derivative (eq. ch8-exp-log, {CHAPTER})."
    for x in (0.3, -0.8):
        u = V(x)
        e = math.exp(x)
        out = _operation(lambda: u.exp(), V, "u.exp()", (u,))
        _expect(out.data, e, f"u.exp().data (u = {x})", zero=DATA)
        _hand_back(out, "u.exp()")
        _expect(_grad(u), e * G, f"u.exp() (u = {x}), after its _backward with the output's grad {G}: u.grad", [
            (e, NO_CHAIN),
            (x * G, "this hands on u times the output's gradient; the local derivative of the exponential is the "
                    "exponential itself, the new node's output (eq. ch8-exp-log)."),
            (x * math.exp(x - 1) * G, "the exponential is not a power of u: the power rule does not apply to it; "
                                      "its derivative is itself (eq. ch8-exp-log)."),
        ], hint=hint, V=V)
    u = V(0.3)
    u.grad = 0.25
    out = _operation(lambda: u.exp(), V, "u.exp()", (u,))
    _hand_back(out, "u.exp()")
    _expect(_grad(u), 0.25 + math.exp(0.3) * G, "u.exp() where u already holds the gradient 0.25 from another "
            f"consumer, after its _backward with the output's grad {G}: u.grad", [(math.exp(0.3) * G, SETS)],
            hint=hint, V=V)
    passed("tanh and exp")


# ----------------------------------------------------------------------------
# The crafted graphs of tasks 5 to 7, built with the check's own operations


@dataclass(eq=False)
class _Graph:
    """A crafted graph: its root, its nodes by name, and how to say which graph it is."""

    description: str
    root: Any
    names: dict[int, str] = field(default_factory=dict)

    def name(self, node: Any) -> str:
        return self.names.get(id(node), "a node")

    def named(self, **nodes: Any) -> "_Graph":
        for name, node in nodes.items():
            self.names[id(node)] = name
        return self


def _chain(V: type) -> _Graph:
    x = _leaf(V, 0.6)
    a = _tanh(x)
    L = _tanh(a)
    return _Graph("the chain a = tanh(x), L = tanh(a)", L).named(x=x, a=a, L=L)


def _two_paths(V: type) -> _Graph:
    u, v = _leaf(V, 1.5), _leaf(V, -0.7)
    m = _mul(u, v)
    t = _tanh(m)
    L = _add(m, t)
    return _Graph("the graph m = u * v, t = tanh(m), L = m + t, where m reaches L along two paths of different "
                  "lengths", L).named(u=u, v=v, m=m, t=t, L=L)


def _diamond(V: type) -> _Graph:
    a, e = _leaf(V, 0.8), _leaf(V, 0.8)  # two leaves with the same number: still two nodes
    b = _tanh(a)
    c = _mul(a, e)
    d = _add(b, c)
    L = _mul(d, d)
    return _Graph("the graph b = tanh(a), c = a * e, d = b + c, L = d * d, where a reaches d along two paths, "
                  "L uses d twice, and the leaves a and e hold the same number", L).named(a=a, e=e, b=b, c=c,
                                                                                         d=d, L=L)


def _random_graph(V: type, seed: int = 80) -> _Graph:
    """Four leaves and a dozen operations on earlier nodes, every node upstream of the root."""
    rng = np.random.default_rng(seed)
    nodes = [_leaf(V, x) for x in rng.uniform(-1, 1, size=4)]
    used: set[int] = set()
    for _ in range(12):
        kind = rng.integers(3)
        a = nodes[int(rng.integers(max(0, len(nodes) - 4), len(nodes)))]
        b = nodes[int(rng.integers(0, len(nodes)))]
        out = _tanh(a) if kind == 2 else (_add(a, b) if kind == 0 else _mul(a, b))
        used.update(id(p) for p in out.parents)
        nodes.append(out)
    root = nodes[-1]
    for node in nodes[:-1]:  # every node not used yet joins the root, so the whole graph is upstream of it
        if id(node) not in used:
            root = _add(root, node)
    graph = _Graph("a graph of several leaves and operations, some nodes with several consumers", root)
    for i, node in enumerate(_order(root)):
        graph.names[id(node)] = f"node {i + 1} (counted from the leaves)"
    return graph


_GRAPHS: tuple[Callable[[type], _Graph], ...] = (_chain, _two_paths, _diamond, _random_graph)


# ----------------------------------------------------------------------------
# 5. The topological order


def _valid(order: Sequence[Any]) -> tuple[Any, Any] | None:
    """None if every node comes after all of its parents, else the first (node, parent) that breaks it."""
    position = {id(node): i for i, node in enumerate(order)}
    for i, node in enumerate(order):
        for parent in node.parents:
            if position.get(id(parent), -1) > i:
                return node, parent
    return None


def _same(a: Sequence[Any], b: Sequence[Any]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _listed(fn: Callable, graph: _Graph, V: type) -> list[Any]:
    """Run the learner's sort on a graph; check that it lists every node of the graph once."""
    got = call(fn, graph.root, what="topological_order(root)", copy_inputs=False)
    where = f"On {graph.description}: "
    if not isinstance(got, (list, tuple)):
        fail(f"topological_order should return a list of nodes; got {type(got).__name__}.")
    got = list(got)
    for item in got:
        if not isinstance(item, V):
            fail(f"{where}the list should hold the nodes themselves (Value objects); it holds a "
                 f"{type(item).__name__}.")
    right = _order(graph.root)
    ids = {id(node) for node in right}
    if any(id(node) not in ids for node in got):
        fail(f"{where}the list holds nodes that are not in this graph. Do they come from an earlier call? The "
             "list (and the set of visited nodes) must start empty at every call.")
    counts: dict[int, int] = {}
    for node in got:
        counts[id(node)] = counts.get(id(node), 0) + 1
    for node in got:
        if counts[id(node)] > 1:
            fail(f"{where}the node {graph.name(node)} is listed {counts[id(node)]} times. A node reached along "
                 "several paths must be listed once (the chapter keeps a set of the nodes already visited); in "
                 "the sweep, a node listed twice would hand on its gradient twice.")
    missing = [node for node in right if counts.get(id(node), 0) == 0]
    if missing:
        if any(node is graph.root for node in missing):
            fail(f"{where}the root itself is missing: it belongs in the list too, after all of its parents.")
        twin = next((node for node in missing if any(p.data == node.data for p in got)), None)
        if twin is not None and all(not node.parents for node in missing):
            fail(f"{where}the node {graph.name(twin)} is missing; another node holds the same number. Two nodes "
                 "with the same data are still two nodes: keep track of the visited nodes themselves, not of "
                 "their numbers.")
        if all(not node.parents for node in missing):
            which = (f"the leaf {graph.name(missing[0])} is" if len(missing) == 1 else
                     f"the leaves {', '.join(graph.name(n) for n in missing)} are")
            fail(f"{where}{which} missing: the list holds every node of the graph, the leaves included.")
        fail(f"{where}the node {graph.name(missing[0])} is missing ({len(missing)} of {len(right)} nodes are): "
             "the list must hold every node that the root was computed from, directly or indirectly.")
    return got


def topological_order(fn: Callable, V: type) -> None:
    """``topological_order(root)``: every node once, each after all of its parents."""
    graphs = [build(V) for build in _GRAPHS]
    results = [_listed(fn, graph, V) for graph in graphs]
    for graph, got in zip(graphs, results):
        broken = _valid(got)
        if broken is None:
            continue
        where = f"On {graph.description}: "
        if all(_same(r, _preorder(g.root)) for g, r in zip(graphs, results)):
            fail(f"{where}each node is put in the list as soon as it is reached, before its parents. A node may "
                 "join the list only once all of its parents are in it: visit the parents first, then append "
                 f"the node ({CHAPTER}, 'The sweep').")
        if all(_same(r, list(reversed(_breadth_first(g.root)))) or _same(r, _breadth_first(g.root))
               for g, r in zip(graphs, results)):
            fail(f"{where}the list follows a breadth-first search (the root, then its parents, then theirs). "
                 f"That is not a topological order: here {graph.name(broken[0])} comes before its parent "
                 f"{graph.name(broken[1])}, because a node can reach the root along paths of different lengths "
                 f"({CHAPTER}, 'Visiting the nodes in the wrong order'). A depth-first search that appends each "
                 "node after its parents gives one.")
        if _valid(list(reversed(got))) is None:
            fail(f"{where}the list is in reverse: it starts at the root. Each node must come AFTER all of its "
                 "parents, the leaves first and the root last (backward reverses the list itself).")
        fail(f"{where}{graph.name(broken[0])} comes before its parent {graph.name(broken[1])}: in a topological "
             f"order every node comes after all of its parents ({CHAPTER}, 'The sweep').")
    passed("topological_order")


# ----------------------------------------------------------------------------
# 6. backward


def _grads(graph: _Graph) -> list[float]:
    return [node.grad for node in _order(graph.root)]


def _variant(build: Callable[[type], _Graph], V: type, sweep: Callable[[Any], None]) -> list[float]:
    """The node gradients that a sweep gives on a fresh copy of a crafted graph."""
    graph = build(V)
    sweep(graph.root)
    return _grads(graph)


def _not_reversed(root: Any) -> None:
    root.grad = 1.0
    for node in _order(root):
        node._backward()


def _no_seed(root: Any) -> None:
    for node in reversed(_order(root)):
        node._backward()


def _seed_after(root: Any) -> None:
    _no_seed(root)
    root.grad = 1.0


def _bfs_sweep(root: Any) -> None:
    root.grad = 1.0
    for node in _breadth_first(root):
        node._backward()


def _root_only(root: Any) -> None:
    root.grad = 1.0
    root._backward()


_SWEEP_MISTAKES: tuple[tuple[Callable[[Any], None], str], ...] = (
    (_no_seed, "every gradient is still 0: the sweep must start from the loss's own gradient, dL/dL = 1, before "
               f"any node hands its gradient on ({CHAPTER}, 'The sweep')."),
    (_seed_after, "the loss's own gradient is 1 but every other is 0: the seed was set after the nodes had handed "
                  "on their gradients. Seed first, then sweep."),
    (_not_reversed, "the nodes handed on their gradients in topological order, leaves first, when most of them "
                    "had not received theirs yet. The sweep runs the other way, from the loss back to the leaves, "
                    f"each node after all of its consumers ({CHAPTER}, 'The sweep')."),
    (_bfs_sweep, "the nodes were visited breadth first (the loss, its parents, theirs, ...). A node that reaches "
                 "the loss along paths of different lengths then hands on its gradient before all of its "
                 f"consumers have added their shares ({CHAPTER}, 'Visiting the nodes in the wrong order'). Use the "
                 "topological order, reversed."),
    (_root_only, "only the loss handed on its gradient: every node of the graph must run its _backward, in "
                 "reverse topological order."),
)


def backward(V: type) -> None:
    """``Value.backward()``: seed 1 at the loss, then every node's _backward in reverse topological order."""
    for build in _GRAPHS:
        graph = build(V)
        root = graph.root
        data = [node.data for node in _order(root)]
        call(lambda: root.backward(), what="loss.backward()", copy_inputs=False)
        where = f"On {graph.description}: "
        if [node.data for node in _order(root)] != data:
            fail(f"{where}backward changed the data of the nodes; the sweep only fills in their gradients.")
        got = _grads(graph)
        for value in got:
            _not_a_number(value, V, f"{where}a node's grad")
        right = _variant(build, V, _sweep)
        if np.allclose(got, right, rtol=1e-9, atol=1e-12):
            continue
        for sweep, feedback in _SWEEP_MISTAKES:
            if np.allclose(got, _variant(build, V, sweep), rtol=1e-9, atol=1e-12):
                fail(where + feedback)
        if not math.isclose(root.grad, 1.0):
            fail(f"{where}after the sweep the loss's own gradient is {root.grad:.6g}; it is the seed, "
                 "dL/dL = 1.")
        ratio = [g / r for g, r in zip(got, right) if abs(r) > 1e-12]
        if ratio and np.allclose(ratio, 2.0):
            fail(f"{where}every gradient is twice the right value: was the sweep run twice, or is each node in "
                 "the order twice?")
        wrong = next(node for node, g, r in zip(_order(root), got, right) if not math.isclose(g, r, rel_tol=1e-9,
                                                                                               abs_tol=1e-12))
        fail(f"{where}the gradient at {graph.name(wrong)} is wrong. backward must seed 1 at the loss and then "
             "run the _backward of every node of your topological_order, in reverse, each once (if the check of "
             "task 5 does not say correct, fix that first).")
    passed("backward")


# ----------------------------------------------------------------------------
# 7. zero_grad and a gradient-descent step


def _zero_grad(fn: Callable, V: type) -> None:
    for build in (_two_paths, _random_graph):
        graph = build(V)
        _sweep(graph.root)
        nodes = _order(graph.root)
        data = [node.data for node in nodes]
        call(fn, graph.root, what="zero_grad(root)", copy_inputs=False)
        where = f"On {graph.description}, after a backward sweep: "
        if [node.data for node in nodes] != data:
            fail(f"{where}zero_grad changed the data of the nodes; only their gradients go back to 0.")
        left = [node for node in nodes if node.grad != 0]
        if not left:
            continue
        if len(left) == len(nodes):
            fail(f"{where}every node still holds its gradient: zero_grad must set the grad of every node of the "
                 "graph to 0.")
        kinds = []
        if any(node is graph.root for node in left):
            kinds.append("the root")
        if any(node.parents and node is not graph.root for node in left):
            kinds.append("intermediate nodes")
        if any(not node.parents for node in left):
            kinds.append("leaves")
        fail(f"{where}{' and '.join(kinds)} still hold a gradient (for example {graph.name(left[0])}): zero_grad "
             "must set the grad of every node of root's graph to 0, the root, the intermediate nodes and the "
             "leaves (use your topological_order).")


def _neuron(params: Sequence[Any], x: Sequence[float], y: float) -> Any:
    """L = 1/2 (tanh(x1 w1 + x2 w2 + b) - y)^2 on the parameter leaves, by the check's operations."""
    V = type(params[0])
    w1, w2, b = params
    z = _add(_add(_mul(_leaf(V, x[0]), w1), _mul(_leaf(V, x[1]), w2)), b)
    r = _add(_tanh(z), _leaf(V, -y))
    return _mul(_leaf(V, 0.5), _mul(r, r))


def _steps(start: Sequence[float], x: Sequence[float], y: float, eta: float, V: type, *, zero: bool = True,
           sign: float = -1.0, rate: bool = True) -> list[tuple[float, list[float]]]:
    """Two steps by the check's own engine: [(loss before the step, parameters after it)] per step."""
    params = [_leaf(V, p) for p in start]
    out = []
    for _ in range(2):
        loss = _neuron(params, x, y)
        if zero:
            for p in params:
                p.grad = 0.0
        _sweep(loss)
        for p in params:
            p.data += sign * (eta if rate else 1.0) * p.grad
        out.append((loss.data, [p.data for p in params]))
    return out


def step(step_fn: Callable, zero_grad_fn: Callable, V: type) -> None:
    """``zero_grad(root)`` clears a graph; ``step(params, loss_fn, eta)`` takes one gradient-descent step."""
    _zero_grad(zero_grad_fn, V)

    start, x, y, eta = [0.4, -0.6, 0.1], [0.5, -1.2], 0.8, 0.5
    right = _steps(start, x, y, eta, V)
    variants = [
        (_steps(start, x, y, eta, V, zero=False), "the second step used the sum of both steps' gradients: the "
         "parameters still held the first sweep's gradients when the second sweep added its own. Set them back "
         f"to 0 before each sweep ({CHAPTER}, 'Not zeroing the gradients between backward sweeps')."),
        (_steps(start, x, y, eta, V, sign=+1.0), "the step goes up the gradient, which raises the loss: subtract "
         "eta times the gradient."),
        (_steps(start, x, y, eta, V, rate=False), "the learning rate eta is missing."),
    ]
    params = [V(p) for p in start]
    calls = []

    def loss_fn() -> Any:
        calls.append(1)
        return _neuron(params, x, y)

    for i in range(2):
        before = [p.data for p in params]
        got = call(step_fn, params, loss_fn, eta, what="step(params, loss_fn, eta)", copy_inputs=False)
        which = "first" if i == 0 else "second"
        if not calls:
            fail("step never called loss_fn: each step builds a new graph on the parameter leaves by calling "
                 "loss_fn(), then sweeps backward from it.")
        loss, after = right[i]
        for j, p in enumerate(params):
            _not_a_number(p.data, V, f"after the {which} step, the data of parameter {j + 1}")
        now = [p.data for p in params]
        if not np.allclose(now, after, rtol=1e-9, atol=1e-12):
            for value, feedback in variants:
                if np.allclose(now, value[i][1], rtol=1e-9, atol=1e-12):
                    fail(f"After the {which} step: {feedback}")
            if np.allclose(now, before, rtol=0, atol=0):
                if all(p.grad == 0 for p in params):
                    fail(f"After the {which} step the parameters have not moved and their gradients are 0: were "
                         "the gradients set to zero after the sweep, before they were used? Zero them before "
                         "the sweep.")
                fail(f"After the {which} step the parameters have not moved: the step changes the data of the "
                     "parameter leaves themselves (the next graph is built on the same leaves).")
            fail(f"After the {which} step the parameters are not where one gradient-descent step takes them. Each "
                 "step: a new graph from loss_fn(), every gradient at 0, one backward sweep, then each parameter's "
                 "data minus eta times its grad (if the checks of tasks 5 and 6 do not say correct, fix those "
                 "first).")
        if isinstance(got, V):
            fail("step returned the loss node; it should return the loss as a number, the node's data.")
        _expect(got, loss, f"the number returned by the {which} step", [
            (_neuron([V(p) for p in after], x, y).data,
             "this is the loss after the update; return the loss of the graph the step swept, before the update."),
        ], zero="step should return the loss of the graph it swept, before the update.",
            hint="step returns the loss of the graph it swept, before the update.")
    passed("zero_grad and step")


# ----------------------------------------------------------------------------
# 8. A network from Value nodes, against the matrix formulas


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


@dataclass(eq=False)
class _Net:
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    X: np.ndarray
    Y: np.ndarray

    @property
    def B(self) -> int:
        return len(self.X)

    def describe(self) -> str:
        n_0, n_1 = self.W1.shape
        return f"the network with layer sizes [{n_0}, {n_1}, {self.W2.shape[1]}] and a batch of {self.B}"

    def loss(self, W1: np.ndarray | None = None, hidden: Callable = np.tanh, output: Callable = _sigmoid,
             b1: bool = True, b2: bool = True, scale: float = 1.0) -> float:
        W1 = self.W1 if W1 is None else W1
        a1 = hidden(self.X @ W1 + (self.b1 if b1 else 0))
        y_hat = output(a1 @ self.W2 + (self.b2 if b2 else 0))
        return float(scale * 0.5 * np.sum((y_hat - self.Y) ** 2) / self.B)

    def gradients(self) -> list[np.ndarray]:
        """dW1, db1, dW2, db2 of the batch loss by the matrix formulas of chapter 4."""
        a1 = np.tanh(self.X @ self.W1 + self.b1)                 # (B, n_1)
        y_hat = _sigmoid(a1 @ self.W2 + self.b2)                 # (B, n_2)
        delta2 = (y_hat - self.Y) * y_hat * (1 - y_hat)          # (B, n_2)
        delta1 = (delta2 @ self.W2.T) * (1 - a1**2)              # (B, n_1)
        return [self.X.T @ delta1 / self.B, delta1.mean(axis=0), a1.T @ delta2 / self.B, delta2.mean(axis=0)]


def _net(seed: int, sizes: tuple[int, int, int], batch: int) -> _Net:
    rng = np.random.default_rng(seed)
    n_0, n_1, n_2 = sizes
    return _Net(rng.normal(0, 1 / np.sqrt(n_0), size=(n_0, n_1)), rng.normal(0, 0.3, size=n_1),
                rng.normal(0, 1 / np.sqrt(n_1), size=(n_1, n_2)), rng.normal(0, 0.3, size=n_2),
                rng.normal(size=(batch, n_0)), rng.uniform(size=(batch, n_2)))


# The first network's W1 is square, so W1 read with its indices swapped still fits and only the values show it;
# the second has all sizes different and a batch size different from every one of them.
_NETS = ((81, (3, 3, 2), 4), (82, (3, 4, 2), 5))


def _leaves(array: np.ndarray, V: type) -> list[Any]:
    return [_leaves(row, V) for row in array] if array.ndim > 1 else [V(float(v)) for v in array]


def _flat(nested: list[Any]) -> list[Any]:
    return [leaf for item in nested for leaf in (_flat(item) if isinstance(item, list) else [item])]


def _grad_array(nested: list[Any], shape: tuple[int, ...]) -> np.ndarray:
    return np.array([float(leaf.grad) for leaf in _flat(nested)]).reshape(shape)


def _check_network(fn: Callable, net: _Net, V: type) -> None:
    B = net.B
    leaves = [_leaves(p, V) for p in (net.W1, net.b1, net.W2, net.b2)]
    what = "network_loss(W1, b1, W2, b2, X, Y)"
    try:
        loss = call(fn, *leaves, net.X.copy(), net.Y.copy(), what=what, copy_inputs=False)
    except AssertionError as err:
        if "IndexError" in str(err):
            fail(f"{err} W1[j][k] is the weight from input j to hidden unit k: W1 holds one list per input, each "
                 "with one leaf per hidden unit (and W2 the same, one list per hidden unit).")
        raise
    if not isinstance(loss, V):
        fail(f"{what} should return the loss NODE, a Value, so that the sweep can start from it; got "
             f"{type(loss).__name__}.")
    _expect(loss.data, net.loss(), "the loss's data", [
        (net.loss(scale=B), f"it is {B} times too large (the batch size): the squared errors are summed over the "
                            "samples where the mean was asked for (eq. ch8-matrix-forward)."),
        (net.loss(scale=2), "it is twice the right value: the factor 1/2 of the loss is missing "
                            "(eq. ch8-matrix-forward)."),
        (net.loss(scale=2 * B), "the factor 1/2 is missing and the squared errors are summed over the samples "
                                "where the mean was asked for (eq. ch8-matrix-forward)."),
        (net.loss(scale=1 / net.W2.shape[1]), "it is divided by the number of outputs too; the loss is a mean "
                                              "over the samples only, of the sum over the outputs."),
        (net.loss(output=np.tanh), "the output layer uses tanh; the output units are sigmoids, built from exp."),
        (net.loss(output=lambda z: z), "the output layer's sigmoid is missing."),
        (net.loss(hidden=_sigmoid), "the hidden layer uses the sigmoid; the hidden units are tanh."),
        (net.loss(b1=False), "the hidden layer's biases b1 are missing."),
        (net.loss(b2=False), "the output layer's biases b2 are missing."),
    ] + ([(net.loss(W1=net.W1.T), "W1 is read with its two indices swapped: W1[j][k] is the weight from input j "
                                  "to hidden unit k (chapter 4's w_jk). Here W1 is square, so nothing failed, but "
                                  "the values are wrong.")] if net.W1.shape[0] == net.W1.shape[1] else []),
        hint="Go through eq. ch8-matrix-forward for one sample and one unit at a time.")
    if any(leaf.grad != 0 for part in leaves for leaf in _flat(part)):
        fail(f"{what} ran a backward sweep itself (the leaves hold gradients): it should only build the graph "
             "and return the loss node.")
    _sweep(loss)
    got = [_grad_array(part, p.shape) for part, p in zip(leaves, (net.W1, net.b1, net.W2, net.b2))]
    cut = ("the path from the loss back to the leaves is cut. Build the graph from the very leaves you are "
           "given, with Value operations all the way: a new leaf made from a parameter's number, or a number "
           "taken out of a node (its data) and computed with math, starts a graph of its own.")
    if not any(np.any(g) for g in got):
        fail("after a backward sweep from the loss, none of the given weight and bias leaves has a gradient, "
             f"though the loss is right: {cut}")
    right = net.gradients()
    for name, g, r in zip(("dL/dW1", "dL/db1", "dL/dW2", "dL/db2"), got, right):
        what = f"{name} (the grads of the {name[4:]} leaves)"
        if not np.any(g) and np.any(r):
            fail(f"{what} is zero everywhere after a sweep from the loss, though the loss is right: {cut}")
        diagnose(g, r, what, batch=B)


def network(fn: Callable, V: type) -> None:
    """``network_loss(W1, b1, W2, b2, X, Y)``: the batch loss from Value nodes; its gradients are chapter 4's."""
    for seed, sizes, batch in _NETS:
        net = _net(seed, sizes, batch)
        try:
            _check_network(fn, net, V)
        except AssertionError as err:
            fail(f"On {net.describe()}: {err}")
    passed("network_loss: every weight and bias gradient equals the matrix formulas")
