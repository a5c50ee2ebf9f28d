"""Checks of exercise 4, any number of hidden layers (chapter 4).

Shapes follow the book, one sample per row. A network is three lists:
``Ws[l - 1]`` is W^(l) of shape (n_{l-1}, n_l), ``bs[l - 1]`` is b^(l) of shape
(n_l,), ``fs[l - 1]`` names the activation f^(l) ("sigmoid", "tanh" or "relu").
A mini-batch ``X`` is (B, n_0) and the targets ``Y`` are (B, n_L). ``forward``
keeps what belongs to a layer at the layer's number: ``zs[l]`` is z^(l) (``zs[0]``
is unused), ``activations[l]`` is a^(l) and ``activations[0]`` is X. The loss is
L = (1/B) sum_s 1/2 sum_k (y_hat_sk - y_sk)^2, and the gradients are those of it.

The check networks have layer sizes that all differ and a batch size that differs
from every one of them, so that transposes and wrong axes show in the shapes; the
first network of the backward check has two hidden layers of equal width, so that
a layer's weight gradient built from the other hidden layer's activations has the
right shape and only its values give it away.

Two small generic helpers live here rather than in ``checks/__init__``:
``_near`` (two numbers agree to a relative tolerance) and ``_copies`` (fresh
copies of lists of arrays, since ``call`` copies only top-level arrays).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from . import Mistake, call, diagnose, fail, passed, unpack

__all__ = ["activation_prime", "forward", "backward", "gradients", "update", "step_target_minus_output",
           "shapes", "gradient_check"]

NAMES = ("sigmoid", "tanh", "relu")
CHAPTER = "chapter 4"


# ----------------------------------------------------------------------------
# The reference network


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


_F: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
}
_PRIME_FROM_A: dict[str, Callable[[np.ndarray], np.ndarray]] = {  # f'(z) given a = f(z)
    "sigmoid": lambda a: a * (1 - a),
    "tanh": lambda a: 1 - a**2,
    "relu": lambda a: (a > 0).astype(float),
}
_PRIME_FROM_Z: dict[str, Callable[[np.ndarray], np.ndarray]] = {  # f'(z) given z
    "sigmoid": lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(float),
}


@dataclass(eq=False)
class _Net:
    """A check network, its mini-batch, and its forward pass by the reference."""

    sizes: tuple[int, ...]
    fs: tuple[str, ...]
    Ws: list[np.ndarray]
    bs: list[np.ndarray]
    X: np.ndarray
    Y: np.ndarray
    zs: list[Any]
    activations: list[np.ndarray]

    @property
    def L(self) -> int:  # layers with weights
        return len(self.Ws)

    @property
    def B(self) -> int:
        return len(self.X)

    def describe(self) -> str:
        hidden = self.L - 1
        return (f"the network with {hidden} hidden layer{'s' if hidden != 1 else ''}, layer sizes "
                f"{list(self.sizes)}, activations {list(self.fs)} and a batch of {self.B}")


def _forward(Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray], fs: Sequence[str],
             X: np.ndarray) -> tuple[list[Any], list[np.ndarray]]:
    zs: list[Any] = [None]
    activations = [X]
    for W, b, name in zip(Ws, bs, fs):
        zs.append(activations[-1] @ W + b)
        activations.append(_F[name](zs[-1]))
    return zs, activations


def _net(seed: int, sizes: Sequence[int], fs: Sequence[str], batch: int) -> _Net:
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(0, 1 / np.sqrt(n_in), size=(n_in, n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(0, 0.1, size=n_out) for n_out in sizes[1:]]
    X = rng.normal(size=(batch, sizes[0]))
    Y = rng.uniform(size=(batch, sizes[-1]))
    zs, activations = _forward(Ws, bs, fs, X)
    return _Net(tuple(sizes), tuple(fs), Ws, bs, X, Y, zs, activations)


# f'(z^(l)) of one layer, as a mistake computes it: (name, z, a, is_output) -> array.
Prime = Callable[[str, np.ndarray, np.ndarray, bool], np.ndarray]


def _right_prime(name: str, z: np.ndarray, a: np.ndarray, output: bool) -> np.ndarray:
    return _PRIME_FROM_A[name](a)


@dataclass(eq=False)
class _Pass:
    dWs: list[np.ndarray]
    dbs: list[np.ndarray]
    deltas: list[Any]  # deltas[l] is delta^(l), deltas[0] unused


def _backprop(net: _Net, prime: Prime = _right_prime) -> _Pass:
    """The batch-loss gradients; ``prime`` may replace f' to compute a mistake's result."""
    L, acts = net.L, net.activations
    deltas: list[Any] = [None] * (L + 1)
    dWs: list[np.ndarray] = [np.empty(0)] * L
    dbs: list[np.ndarray] = [np.empty(0)] * L
    for l in range(L, 0, -1):
        grad_a = acts[l] - net.Y if l == L else deltas[l + 1] @ net.Ws[l].T
        deltas[l] = grad_a * prime(net.fs[l - 1], net.zs[l], acts[l], l == L)
        dWs[l - 1] = acts[l - 1].T @ deltas[l] / net.B
        dbs[l - 1] = deltas[l].mean(axis=0)
    return _Pass(dWs, dbs, deltas)


def _copies(net: _Net) -> tuple[list[np.ndarray], list[np.ndarray], list[str], np.ndarray, np.ndarray]:
    return [W.copy() for W in net.Ws], [b.copy() for b in net.bs], list(net.fs), net.X.copy(), net.Y.copy()


def _near(got: float, want: float, rtol: float = 1e-3) -> bool:
    return abs(got - want) <= rtol * abs(want) + 1e-12


def _ones(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.ones_like(a)


# Mistakes in the deltas: each replaces f' in some layers. The feedback names the
# mistake; it never gives the formula.
_DERIVATIVE_MISTAKES: list[tuple[Prime, str]] = [
    (lambda n, z, a, out: _PRIME_FROM_A["tanh"](a) if n == "sigmoid" else _PRIME_FROM_A[n](a),
     "a sigmoid layer's delta uses the derivative of tanh (written from the output). Each layer needs the "
     f"derivative of its own activation ({CHAPTER}, 'Activation derivatives'); check activation_prime "
     "for 'sigmoid' and the name the loop passes to it."),
    (lambda n, z, a, out: _PRIME_FROM_A["sigmoid"](a) if n == "tanh" else _PRIME_FROM_A[n](a),
     "a tanh layer's delta uses the derivative of the sigmoid. Each layer needs the derivative of its own "
     f"activation ({CHAPTER}, 'Activation derivatives'); check activation_prime for 'tanh' and the name "
     "the loop passes to it."),
    (lambda n, z, a, out: _PRIME_FROM_A[n](z),
     "the derivative written from the output a was handed the pre-activation z. A from-the-output formula "
     "is the derivative only when it is handed the layer's activation a^(l), not its pre-activation z^(l) "
     f"({CHAPTER}, 'A from-the-output derivative handed the pre-activation')."),
    (lambda n, z, a, out: _PRIME_FROM_Z[n](a),
     "the derivative written for the pre-activation z was handed the output a, as if a were z: the "
     "activation is then applied twice. A formula written for z needs z^(l); one written from the output "
     f"needs a^(l) ({CHAPTER}, 'Activation derivatives')."),
    (lambda n, z, a, out: _ones(n, z, a) if out else _PRIME_FROM_A[n](a),
     "the output layer's delta lacks its activation's derivative: the delta is dL/dz, so the chain rule "
     f"goes from the loss through y_hat to z^(L) ({CHAPTER}, eq. ch4-output-delta)."),
    (lambda n, z, a, out: _PRIME_FROM_A[n](a) if out else _ones(n, z, a),
     "the hidden layers' deltas lack their activation's derivative: going back one layer passes through "
     f"the weights of the layer above AND through the activation of layer l ({CHAPTER}, "
     "eq. ch4-hidden-delta)."),
    (lambda n, z, a, out: _ones(n, z, a),
     "no layer's delta has its activation's derivative: the delta is dL/dz, so each layer's step back "
     f"passes through its activation ({CHAPTER}, eqs. ch4-output-delta and ch4-hidden-delta)."),
]


def _layer_name(l: int, L: int) -> str:
    if l == 0:
        return "layer 0, the input X"
    return f"layer {l}, the output layer" if l == L else f"layer {l}, a hidden layer"


def _wrong_input(net: _Net, l: int, j: int) -> str:
    """Feedback for W^(l)'s gradient built from a^(j) instead of a^(l-1)."""
    if j == l:
        what = (f"it is built from layer {l}'s own output a^({l}), but a weight's gradient pairs the delta "
                f"with the weight's INPUT: W^({l}) gets its input from layer {l - 1}")
    else:
        what = (f"it is built from the activations of {_layer_name(j, net.L)}, but W^({l}) gets its input "
                f"from layer {l - 1}")
    fits = " Here the two layers have the same width, so the shapes agree and only the values show it." \
        if net.sizes[j] == net.sizes[l - 1] else ""
    return (f"{what}. Each layer pairs its own delta with its own input, the output of the layer just "
            f"before it ({CHAPTER}, 'Weight and bias gradients' and 'Updating a layer with another "
            f"layer's activations').{fits}")


def _dW_mistakes(net: _Net, right: _Pass, variants: Sequence[tuple[_Pass, str]], i: int) -> list[Mistake]:
    l = i + 1
    delta = right.deltas[l]
    mistakes = []
    for j in range(net.L + 1):
        if j != l - 1:
            feedback = _wrong_input(net, l, j)
            mistakes += [Mistake(net.activations[j].T @ delta / net.B, feedback),
                         Mistake(net.activations[j].T @ delta, feedback)]
    mistakes += [Mistake(v.dWs[i], feedback) for v, feedback in variants]
    mistakes.append(Mistake(np.zeros_like(right.dWs[i]), "every entry is zero: was the array filled in?"))
    if right.dWs[i].shape[0] == right.dWs[i].shape[1]:
        mistakes.append(Mistake(right.dWs[i].T, "its values are those of the right gradient, transposed (the "
                                "matrix is square, so the shape cannot show it): check the order of the factors "
                                "in the product, and which one is transposed."))
    return mistakes


def _db_mistakes(net: _Net, right: _Pass, variants: Sequence[tuple[_Pass, str]], i: int) -> list[Mistake]:
    delta = right.deltas[i + 1]
    n, B = delta.shape[1], net.B
    across = (f"it is taken across the units of each sample instead of across the samples: db has one entry "
              f"per unit, shape ({n},), the mean over the batch of that unit's delta ({CHAPTER}, eq. ch4-bias-grad).")
    return [
        Mistake(delta.mean(axis=1), across),
        Mistake(delta.sum(axis=1), across),
        Mistake(delta.sum(axis=1) / B, across),
        Mistake(np.mean(delta), f"it is a single number, the mean over every entry; db has one entry per "
                                f"unit, shape ({n},)."),
        Mistake(np.sum(delta), f"it is a single number, a sum over every entry; db has one entry per unit, "
                               f"shape ({n},), the mean over the batch."),
        Mistake(delta.mean(axis=0, keepdims=True), f"it holds the right numbers, but as a (1, {n}) array; db "
                                                   f"must have the shape of b, ({n},)."),
        Mistake(delta, f"it is the delta itself, one row per sample; db has the shape of b, ({n},): the mean "
                       "over the batch."),
        Mistake(delta / B, f"it keeps one row per sample; db has the shape of b, ({n},): the mean over the batch."),
    ] + [Mistake(v.dbs[i], feedback) for v, feedback in variants]


def _per_layer(value: object, name: str, what: str, L: int) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        fail(f"{name}, returned by {what}, should be a list with one array per layer; got "
             f"{type(value).__name__}.")
    if len(value) != L:
        fail(f"{name}, returned by {what}, holds {len(value)} arrays for a network with {L} layers of weights "
             f"({L - 1} hidden): one per layer, for every layer, however many there are. Does the loop run "
             "over every layer of the lists it is given?")
    return list(value)


def _check_gradients(result: object, net: _Net, what: str) -> None:
    """Compare (dWs, dbs) with the reference, layer by layer from the output down."""
    dWs, dbs = unpack(result, what, ("dWs", "dbs"),
                    " (The chapter's backward also returns the deltas; here return only the two lists.)"
                    if isinstance(result, (tuple, list)) and len(result) == 3 else "")
    dWs = _per_layer(dWs, "dWs", what, net.L)
    dbs = _per_layer(dbs, "dbs", what, net.L)
    right = _backprop(net)
    variants = [(_backprop(net, prime), feedback) for prime, feedback in _DERIVATIVE_MISTAKES]
    for i in reversed(range(net.L)):
        diagnose(dWs[i], right.dWs[i], f"dWs[{i}] (the gradient of W^({i + 1}))",
                 _dW_mistakes(net, right, variants, i), batch=net.B)
        diagnose(dbs[i], right.dbs[i], f"dbs[{i}] (the gradient of b^({i + 1}))",
                 _db_mistakes(net, right, variants, i), batch=net.B)


def _on(net: _Net, check: Callable[[], None]) -> None:
    """Run one network's check; say which network a failure was on."""
    try:
        check()
    except AssertionError as err:
        fail(f"On {net.describe()}: {err}")


# ----------------------------------------------------------------------------
# 1. Activation derivatives, from the output


def activation_prime(fn: Callable) -> None:
    """``activation_prime(name, a)``: f'(z) for the activation ``name``, from its output a = f(z)."""
    z = np.random.default_rng(40).normal(0, 1.5, size=(3, 4))
    z[0, 0] = -z[0, 0] if z[0, 0] > 0 else z[0, 0]  # at least one inactive ReLU unit
    z[1, 1] = abs(z[1, 1])
    for name in NAMES:
        a = _F[name](z)
        got = call(fn, name, a, what=f"activation_prime({name!r}, a)")
        mistakes = {
            "sigmoid": [
                Mistake(_PRIME_FROM_A["tanh"](a), "this is the derivative of tanh written from its output; a "
                        f"sigmoid layer needs the sigmoid's own ({CHAPTER}, 'Activation derivatives' and "
                        "'The tanh derivative on a sigmoid layer')."),
                Mistake(_PRIME_FROM_Z["sigmoid"](a), "this is the sigmoid's derivative written for the "
                        "pre-activation z, applied to the output a as if it were z: a is already sigma(z), "
                        "so use the from-the-output column of the chapter's table."),
                Mistake(_PRIME_FROM_A["relu"](a), "this is the ReLU's derivative, not the sigmoid's."),
            ],
            "tanh": [
                Mistake(_PRIME_FROM_A["sigmoid"](a), "this is the sigmoid's derivative written from its output; "
                        f"a tanh layer needs tanh's own ({CHAPTER}, 'Activation derivatives')."),
                Mistake(_PRIME_FROM_Z["tanh"](a), "this is tanh's derivative written for the pre-activation z, "
                        "applied to the output a as if it were z: a is already tanh(z), so use the "
                        "from-the-output column of the chapter's table."),
                Mistake(1 - a, "the output enters tanh's derivative squared."),
            ],
            "relu": [
                Mistake((a >= 0).astype(float), "every entry is 1, also where a = 0. A unit with a = 0 is "
                        "inactive (z <= 0) and its derivative is 0; the chapter takes 0 at the kink too."),
                Mistake(_PRIME_FROM_A["sigmoid"](a), "this is the sigmoid's derivative, not the ReLU's."),
            ],
        }[name] + [Mistake(a, "this returns a itself, not the derivative.")]
        diagnose(got, _PRIME_FROM_A[name](a), f"activation_prime({name!r}, a)", mistakes)
    passed("activation_prime")


# ----------------------------------------------------------------------------
# 2. The forward pass


_FORWARD_NETS = ((41, (3, 6, 4, 2), ("tanh", "relu", "sigmoid"), 5),
                 (42, (2, 5, 3), ("sigmoid", "tanh"), 4))


def _check_forward(fn: Callable, net: _Net) -> None:
    what = "forward(Ws, bs, fs, X)"
    zs, acts = unpack(call(fn, *_copies(net)[:4], what=what), what, ("zs", "activations"))
    L = net.L
    for name, value in (("activations", acts), ("zs", zs)):
        if not isinstance(value, (list, tuple)):
            fail(f"{name} should be a list; got {type(value).__name__}.")
    if len(acts) != L + 1:
        fail(f"activations holds {len(acts)} arrays; for {L} layers it should hold {L + 1}: the input X first, "
             "at activations[0], then the output of every layer, so that activations[l] is a^(l) "
             f"({CHAPTER}, 'A network as a list of layers').")
    if len(zs) != L + 1:
        fail(f"zs holds {len(zs)} entries; for {L} layers it should hold {L + 1}, so that zs[l] is z^(l): "
             f"zs[0] is an unused placeholder (None in the chapter), since the input has no pre-activation.")
    diagnose(acts[0], net.X, "activations[0]", [
        Mistake(net.activations[1], "this is a^(1); activations[0] is the input X itself."),
    ])
    for l in range(1, L + 1):
        W, name = net.Ws[l - 1], net.fs[l - 1]
        a_in, z, a = net.activations[l - 1], net.zs[l], net.activations[l]
        diagnose(zs[l], z, f"zs[{l}]", [
            Mistake(a_in @ W, f"the bias b^({l}) is missing from the pre-activation."),
            Mistake(a, f"this is a^({l}), the activation; zs[{l}] is the pre-activation, before f."),
        ])
        diagnose(acts[l], a, f"activations[{l}]", [
            Mistake(z, f"this is z^({l}): the layer's activation '{name}' (fs[{l - 1}]) was not applied."),
            Mistake(_F[name](a_in @ W), f"the bias b^({l}) is missing."),
        ] + [Mistake(_F[other](z), f"this is {other} of z^({l}), but layer {l} uses '{name}' (fs[{l - 1}]): "
                                   "each layer applies its own activation.")
             for other in NAMES if other != name])


def forward(fn: Callable) -> None:
    """``forward(Ws, bs, fs, X)`` returns ``(zs, activations)``, stored at the layers' numbers."""
    for seed, sizes, fs, batch in _FORWARD_NETS:
        net = _net(seed, sizes, fs, batch)
        _on(net, lambda: _check_forward(fn, net))
    passed("forward")


# ----------------------------------------------------------------------------
# 3. The backward pass, 4. at several depths


# The first network has two hidden layers of EQUAL width: a layer's weight gradient
# built from the other hidden layer's activations has the right shape there.
_BACKWARD_NETS = ((43, (3, 4, 4, 2), ("sigmoid", "tanh", "sigmoid"), 5),
                  (44, (4, 6, 3, 2), ("relu", "tanh", "sigmoid"), 5))
_DEPTH_NETS = ((45, (4, 6, 3), ("tanh", "sigmoid"), 7),
               (46, (3, 6, 5, 2), ("relu", "tanh", "sigmoid"), 7),
               (47, (3, 6, 5, 4, 8, 2), ("sigmoid", "relu", "tanh", "sigmoid", "tanh"), 7))


def backward(fn: Callable) -> None:
    """``backward(Ws, fs, zs, activations, Y)`` returns ``(dWs, dbs)``."""
    for seed, sizes, fs, batch in _BACKWARD_NETS:
        net = _net(seed, sizes, fs, batch)
        Ws, _, fs_, _, Y = _copies(net)
        zs = [None] + [z.copy() for z in net.zs[1:]]
        acts = [a.copy() for a in net.activations]
        what = "backward(Ws, fs, zs, activations, Y)"
        _on(net, lambda: _check_gradients(call(fn, Ws, fs_, zs, acts, Y, what=what), net, "backward"))
    passed("backward")


def _call_at_depth(fn: Callable, net: _Net) -> object:
    try:
        return call(fn, *_copies(net), what="gradients(Ws, bs, fs, X, Y)")
    except AssertionError as err:
        fail(f"{err} Does backward run over every layer of the lists it is given, however many there are? "
             "(The check of task 3 tried two hidden layers only.)")


def gradients(fn: Callable) -> None:
    """``gradients(Ws, bs, fs, X, Y)``, at depths of 1, 2 and 4 hidden layers."""
    for seed, sizes, fs, batch in _DEPTH_NETS:
        net = _net(seed, sizes, fs, batch)
        _on(net, lambda: _check_gradients(_call_at_depth(fn, net), net, "gradients"))
    passed("gradients at 1, 2 and 4 hidden layers")


# ----------------------------------------------------------------------------
# 5. The update, 6. the same step written with target minus output


def _unchanged(given: Sequence[np.ndarray], original: Sequence[np.ndarray], name: str, what: str) -> None:
    if any(not np.array_equal(g, o) for g, o in zip(given, original)):
        fail(f"{what} changed the arrays in the {name} it was given (updated them in place?). Return new "
             f"arrays and leave {name} as they were: the caller may still need the old parameters.")


def update(fn: Callable) -> None:
    """``update(Ws, bs, dWs, dbs, eta)`` returns new ``(Ws, bs)`` after one gradient-descent step."""
    net = _net(48, (3, 6, 4, 2), ("tanh", "relu", "sigmoid"), 5)
    rng = np.random.default_rng(49)
    dWs = [rng.normal(size=W.shape) for W in net.Ws]
    dbs = [rng.normal(size=b.shape) for b in net.bs]
    eta = 0.3
    Ws, bs = [W.copy() for W in net.Ws], [b.copy() for b in net.bs]
    what = "update(Ws, bs, dWs, dbs, eta)"
    new_Ws, new_bs = unpack(call(fn, Ws, bs, [d.copy() for d in dWs], [d.copy() for d in dbs], eta, what=what, copy_inputs=False),
                          what, ("new_Ws", "new_bs"))
    new_Ws, new_bs = _per_layer(new_Ws, "new_Ws", what, net.L), _per_layer(new_bs, "new_bs", what, net.L)
    for i in range(net.L):
        for got, p, d, name in ((new_Ws[i], net.Ws[i], dWs[i], f"new_Ws[{i}]"), (new_bs[i], net.bs[i], dbs[i],
                                                                                 f"new_bs[{i}]")):
            diagnose(got, p - eta * d, name, [
                Mistake(p + eta * d, "the step goes up the gradient, which raises the loss. In the book's "
                                     "convention (y_hat - y) the gradient is subtracted."),
                Mistake(p - d, "the learning rate eta is missing."),
                Mistake(-eta * d, "this is the change of the parameter, not the new parameter."),
                Mistake(p, "this is the old parameter, unchanged: the step was not taken."),
            ])
    _unchanged(Ws, net.Ws, "Ws", "update")
    _unchanged(bs, net.bs, "bs", "update")
    passed("update")


def _in_place_step(net: _Net, eta: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The step with error = y - y_hat whose error goes back through ALREADY UPDATED weights."""
    Ws, bs = [W.copy() for W in net.Ws], [b.copy() for b in net.bs]
    acts = net.activations
    error = net.Y - acts[-1]
    for l in range(net.L, 0, -1):
        delta = error * _PRIME_FROM_A[net.fs[l - 1]](acts[l])
        Ws[l - 1] += eta * (acts[l - 1].T @ delta / net.B)
        bs[l - 1] += eta * delta.mean(axis=0)
        error = delta @ Ws[l - 1].T
    return Ws, bs


def step_target_minus_output(fn: Callable) -> None:
    """``step_target_minus_output(Ws, bs, fs, X, Y, eta)``: the book's step, written with y - y_hat."""
    net = _net(50, (3, 6, 5, 4, 2), ("tanh", "relu", "sigmoid", "sigmoid"), 7)
    eta = 0.5
    Ws, bs, fs, X, Y = _copies(net)
    what = "step_target_minus_output(Ws, bs, fs, X, Y, eta)"

    def check() -> None:
        new_Ws, new_bs = unpack(call(fn, Ws, bs, fs, X, Y, eta, what=what, copy_inputs=False), what, ("new_Ws", "new_bs"))
        new_Ws = _per_layer(new_Ws, "new_Ws", what, net.L)
        new_bs = _per_layer(new_bs, "new_bs", what, net.L)
        right = _backprop(net)
        variants = [(_backprop(net, prime), feedback) for prime, feedback in _DERIVATIVE_MISTAKES]
        in_place_Ws, in_place_bs = _in_place_step(net, eta)
        climbs = ("the step climbs the loss. With the error formed as target minus output, the "
                  "recurrence carries minus the book's deltas, so the step is added, not subtracted "
                  f"({CHAPTER}, 'Two sign conventions, one update' and 'Mixing the sign conventions').")
        in_place = ("the error was sent back through weights that had already been updated. The recurrence "
                    "needs the weights the forward pass used: propagate the error through a layer's weights "
                    f"before changing them ({CHAPTER}, 'Two sign conventions, one update').")
        summed = "the step is B times too large (the batch size): the gradient is summed over the batch " \
                 "where the mean was asked for."
        for i in reversed(range(net.L)):
            W, b, dW, db = net.Ws[i], net.bs[i], right.dWs[i], right.dbs[i]
            diagnose(new_Ws[i], W - eta * dW, f"new_Ws[{i}]", [
                Mistake(W + eta * dW, climbs),
                Mistake(in_place_Ws[i], in_place),
                Mistake(W - eta * net.B * dW, summed),
                Mistake(W - dW, "the learning rate eta is missing."),
                Mistake(W, "this is the old weight matrix, unchanged: the step was not taken."),
                Mistake(W - eta * dW / net.B, "the step is B times too small (the batch size): it divides by "
                                              "the batch size once too often."),
            ] + [Mistake(W - eta * v.dWs[i], feedback) for v, feedback in variants]
              + [Mistake(W - eta * (net.activations[j].T @ right.deltas[i + 1]) / net.B,
                         _wrong_input(net, i + 1, j)) for j in range(net.L + 1)
                 if j != i and net.sizes[j] == net.sizes[i]])  # other shapes could not be subtracted from W
            diagnose(new_bs[i], b - eta * db, f"new_bs[{i}]", [
                Mistake(b + eta * db, climbs),
                Mistake(in_place_bs[i], in_place),
                Mistake(b - eta * net.B * db, summed),
                Mistake(b - db, "the learning rate eta is missing."),
            ] + [Mistake(b - eta * v.dbs[i], feedback) for v, feedback in variants])
        _unchanged(Ws, net.Ws, "Ws", "step_target_minus_output")
        _unchanged(bs, net.bs, "bs", "step_target_minus_output")

    _on(net, check)
    passed("step_target_minus_output")


# ----------------------------------------------------------------------------
# 7. Shapes


def _is_shape(answer: object) -> bool:
    return isinstance(answer, tuple) and all(isinstance(n, int) and not isinstance(n, bool) for n in answer)


def shapes(delta2_shape: object, dw3_shape: object) -> None:
    """Layer sizes [784, 128, 64, 10], B = 32: the shapes of delta^(2) and of dL/dW^(3)."""
    for name, answer in (("DELTA2_SHAPE", delta2_shape), ("DW3_SHAPE", dw3_shape)):
        if not _is_shape(answer):
            fail(f"{name} should be a tuple of whole numbers, like (2, 3); got {answer!r}")
    delta = {
        (64, 32): "(64, 32) is the shape in the column-per-sample convention; in this book each sample is a "
                  "row, so a delta has one row per sample and one column per unit.",
        (1, 64): "(1, 64) is the delta of one sample; a mini-batch of 32 samples has one row per sample.",
        (32, 128): "(32, 128) is the shape of delta^(1), the first hidden layer's delta: layer 2 has 64 units.",
        (32, 10): "(32, 10) is the shape of delta^(3), the output layer's delta: layer 2 has 64 units.",
        (128, 64): "(128, 64) is the shape of W^(2); a delta has one row per sample and one column per unit "
                   "of its layer.",
        (64,): "(64,) is the shape of b^(2) and of its gradient; the delta keeps one row per sample.",
    }
    if delta2_shape != (32, 64):
        fail("DELTA2_SHAPE: " + delta.get(delta2_shape, f"{delta2_shape} is not the shape of delta^(2): it has "
                                            "one row per sample and one column per unit of layer 2."))
    weights = {
        (10, 64): "(10, 64) is the shape in the column-per-sample convention; in this book W^(l) has one row "
                  "per unit of layer l - 1 (its inputs) and one column per unit of layer l.",
        (128, 10): "(128, 10) would pair the output layer with the FIRST hidden layer's 128 activations, the "
                   "bug of the chapter's learner: the output layer's input is the second hidden layer.",
        (32, 10): "(32, 10) is the shape of delta^(3), one row per sample; a gradient has the shape of its "
                  "parameter, and the batch is summed out of it.",
        (32, 64): "(32, 64) is the shape of a^(2), the output layer's input; a gradient has the shape of its "
                  "parameter.",
        (10,): "(10,) is the shape of b^(3) and of its gradient, not of W^(3)'s.",
    }
    if dw3_shape != (64, 10):
        fail("DW3_SHAPE: " + weights.get(dw3_shape, f"{dw3_shape} is not the shape of W^(3): a gradient has the "
                                         "shape of its parameter, and W^(3) takes layer 2's units to layer 3's."))
    passed("shapes")


# ----------------------------------------------------------------------------
# 8. The gradient check


def _reference_backward(bug: str = "") -> Callable:
    """A backward with the book's signature; ``bug`` makes it wrong in one known way."""

    def backward_fn(Ws: Sequence[np.ndarray], fs: Sequence[str], zs: Sequence[Any],
                    activations: Sequence[np.ndarray], Y: np.ndarray) -> tuple[list, list]:
        L, B = len(Ws), len(Y)
        dWs: list[np.ndarray] = [np.empty(0)] * L
        dbs: list[np.ndarray] = [np.empty(0)] * L
        delta = np.empty(0)
        for l in range(L, 0, -1):
            grad_a = activations[l] - Y if l == L else delta @ np.asarray(Ws[l]).T
            delta = grad_a * _PRIME_FROM_A[fs[l - 1]](activations[l])
            inputs = activations[l - 2] if bug == "wrong layer" and l == L else activations[l - 1]
            dWs[l - 1] = inputs.T @ delta / B
            dbs[l - 1] = delta.sum(axis=0) if bug == "bias sum" else delta.mean(axis=0)
        return dWs, dbs

    return backward_fn


def _numerical(net: _Net) -> list[np.ndarray]:
    """Central differences of the batch loss for every weight and bias (as backprop_book.numerical_gradient)."""
    from backprop_book.gradcheck import numerical_gradient

    Ws, bs = [W.copy() for W in net.Ws], [b.copy() for b in net.bs]

    def loss() -> float:
        y_hat = _forward(Ws, bs, net.fs, net.X)[1][-1]
        return float(0.5 * np.sum((y_hat - net.Y) ** 2) / net.B)

    return [numerical_gradient(loss, p) for p in Ws + bs]


def _whole(grads: Sequence[np.ndarray], nums: Sequence[np.ndarray]) -> float:
    g = np.concatenate([np.ravel(a) for a in grads])
    n = np.concatenate([np.ravel(a) for a in nums])
    return float(np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n)))


def _worst(grads: Sequence[np.ndarray], nums: Sequence[np.ndarray]) -> float:
    return max(float(np.max(np.abs(g - n) / np.maximum(np.abs(g) + np.abs(n), 1e-12))) for g, n in zip(grads, nums))


def gradient_check(fn: Callable) -> None:
    """``gradient_check(backward_fn, Ws, bs, fs, X, Y)``: eq. ch4-whole-error of backward_fn's gradients."""
    net = _net(51, (3, 4, 4, 2), ("sigmoid", "tanh", "sigmoid"), 5)
    nums = _numerical(net)
    L, B = net.L, net.B
    what = "gradient_check(backward_fn, Ws, bs, fs, X, Y)"

    def run(bug: str) -> float:
        Ws, bs, fs, X, Y = _copies(net)
        got = call(fn, _reference_backward(bug), Ws, bs, fs, X, Y, what=what, copy_inputs=False)
        if got is None:
            fail("gradient_check returned None: did the function forget to return the relative error?")
        _unchanged(Ws, net.Ws, "Ws", "gradient_check")
        _unchanged(bs, net.bs, "bs", "gradient_check")
        try:
            value = float(np.asarray(got, dtype=float))  # a Python or NumPy number, or a 0-d array
        except (TypeError, ValueError):
            fail(f"gradient_check should return one number, the relative error; got {type(got).__name__}.")
        if not np.isfinite(value):
            fail(f"gradient_check returned {value}; the relative error is a finite number between 0 and 1.")
        return value

    # A correct backward: the error must be tiny.
    good = run("")
    if good > 1e-7:
        dWs, dbs = _reference_backward("")(net.Ws, net.fs, net.zs, net.activations, net.Y)
        summed = _whole(dWs + dbs, [B * n for n in nums])
        doubled = _whole(dWs + dbs, [2 * n for n in nums])
        if _near(good, summed):
            fail("for a correct backward it reports a large error: the loss it differentiates is summed over "
                 "the samples, but backward's gradients are those of the mean over the batch "
                 f"({CHAPTER}, eq. ch4-loss).")
        if _near(good, doubled):
            fail("for a correct backward it reports a large error: the loss it differentiates lacks the "
                 f"factor 1/2 of eq. ch4-loss ({CHAPTER}).")
        if _near(good, 1.0, 1e-6):
            fail("for a correct backward it reports an error of 1, which means one side of the comparison is "
                 "zero. If the central differences are all zero, the loss does not see the nudged entries: "
                 "it must read the very arrays of Ws and bs that are nudged, not copies of them.")
        fail(f"for a correct backward it reports {good:.1e}; a correct backward gives 1e-9 or less. Compare "
             "each gradient with the central difference of the same parameter, and use the batch loss of "
             f"eq. ch4-loss ({CHAPTER}).")
    # The learner's bug of the chapter: the output layer's weights paired with a^(1).
    wrong = run("wrong layer")
    dWs, dbs = _reference_backward("wrong layer")(net.Ws, net.fs, net.zs, net.activations, net.Y)
    want = _whole(dWs + dbs, nums)
    if not _near(wrong, want):
        if wrong < 1e-6:
            fail("it passed a backward whose output-layer weight gradient is wrong (built from the first "
                 "hidden layer's activations, which have the right shape here). Does it compare the gradient "
                 "of every layer, and does it use the backward_fn it is given?")
        if _near(wrong, _worst(dWs + dbs, nums)):
            fail("it returns the relative error of the worst single element; the task asks for the whole "
                 f"gradient's, every weight and bias as one long vector ({CHAPTER}, eq. ch4-whole-error).")
        if _near(wrong, _whole(dWs, nums[:L])):
            fail("it leaves the biases out: the long vector of eq. ch4-whole-error holds every weight AND "
                 "every bias.")
        fail(f"for a backward with a wrong output-layer gradient it reports {wrong:.3g}, which is not the "
             f"relative error of eq. ch4-whole-error over every weight and bias ({CHAPTER}).")
    # A backward whose bias gradients alone are wrong (summed over the batch).
    bias = run("bias sum")
    dWs, dbs = _reference_backward("bias sum")(net.Ws, net.fs, net.zs, net.activations, net.Y)
    if not _near(bias, _whole(dWs + dbs, nums)):
        if bias < 1e-6:
            fail("it passed a backward whose bias gradients are wrong (summed over the batch): the biases "
                 "must be part of the comparison too.")
        fail(f"for a backward whose bias gradients are wrong it reports {bias:.3g}, which is not the relative "
             f"error of eq. ch4-whole-error over every weight and bias ({CHAPTER}).")
    passed("gradient_check")
