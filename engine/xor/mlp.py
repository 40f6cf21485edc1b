"""A small dense network (multilayer perceptron) that learns XOR, as reference 003 does.

The network maps 2 inputs through any number of hidden layers (sigmoid, tanh
or ReLU) to one sigmoid output. Every weight and bias starts from N(0, 1),
drawn in the order ``W1, b1, W2, b2, ..., Wout, bout`` from an explicit
generator, and training is full-batch gradient descent on the four XOR points
(or another optimizer from :mod:`engine.optim`).

Losses (``XorConfig.loss``):

- ``"ce"`` (default): binary cross-entropy summed over the 4 points, whose
  gradient at the output logit is simply ``p - t``. It is the reference's
  summed loss with cross-entropy in place of squared error: the squared
  error's extra ``p (1 - p)`` factor makes a saturated sigmoid output learn
  slowly, so with the reference's 2-64-1 network, N(0, 1) weights, lr 0.1 and
  1000 steps it ends at a mean squared error of about 0.014 (0.023 for the
  reference's own program), against about 0.0002 for this loss.
- ``"sse"``: ``E = 1/2 * sum_n (p_n - t_n)^2`` over the 4 points, the
  reference's exact algorithm: its output delta ``(out - t) * out * (1 - out)``,
  summed over the points by its matrix products and applied with no division,
  is exactly the gradient of this E, so ``lr=0.1`` takes the reference's step.
- ``"mse"``: the mean over the points (gradients half the size of ``"sse"``'s).
- ``"bce"``: mean binary cross-entropy (gradients a quarter of ``"ce"``'s).

Whatever is trained, ``mse`` in results is the plain mean squared error
``mean_n (p_n - t_n)^2`` of the predictions.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from engine import activations, losses, optim
from engine.schema import SEED_MAX, number

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # (4, 2) the four inputs
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])  # (4, 1) their XOR

ACTIVATIONS = ("sigmoid", "tanh", "relu")
LOSSES = ("ce", "sse", "mse", "bce")
OPTIMIZERS = tuple(optim.OPTIMIZERS)
MAX_LAYERS, MAX_WIDTH = 6, 1024


@dataclass(frozen=True)
class XorConfig:
    hidden: tuple[int, ...] = (64,)  # units per hidden layer, input side first; () = no hidden layer
    activation: str = "sigmoid"  # hidden activation: sigmoid | tanh | relu (the output is always sigmoid)
    lr: float = 0.1  # learning rate (the reference's 0.1)
    steps: int = 1000  # full-batch steps (reference: 1000 for 2-64-1, 5000 for 2-64-64-1)
    seed: int = 0  # seeds the N(0, 1) initial weights
    optimizer: str = "sgd"  # sgd (plain gradient descent, as the reference) | momentum | adam
    loss: str = "ce"  # ce (summed cross-entropy) | sse (the reference's: half summed sq. error) | mse | bce

    def __post_init__(self):
        if isinstance(self.hidden, list):  # from JSON or a widget
            object.__setattr__(self, "hidden", tuple(self.hidden))

    def validate(self) -> XorConfig:
        """Return self if every field is allowed, else raise ValueError naming the field."""
        problems = []
        for name, allowed in (("activation", ACTIVATIONS), ("optimizer", OPTIMIZERS), ("loss", LOSSES)):
            v = getattr(self, name)
            if v not in allowed:
                problems.append(f"{name} must be one of {', '.join(allowed)} (got {v!r})")
        h = self.hidden
        if (not isinstance(h, tuple) or len(h) > MAX_LAYERS
                or not all(_whole(n, 1, MAX_WIDTH) for n in h)):
            problems.append(f"hidden must be up to {MAX_LAYERS} layer widths, each a whole number "
                            f"from 1 to {MAX_WIDTH} (got {h!r})")
        if not _whole(self.steps, 1, 10_000_000):
            problems.append(f"steps must be a whole number from 1 to 10000000 (got {self.steps!r})")
        if not _whole(self.seed, 0, SEED_MAX):
            problems.append(f"seed must be a whole number from 0 to {number(SEED_MAX)} (got {self.seed!r})")
        lr = self.lr
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr <= 100:
            problems.append(f"lr must be a number above 0 up to 100 (got {lr!r})")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def replace(self, **changes) -> XorConfig:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes).validate()

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _whole(v, lo: int, hi: int) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and lo <= v <= hi


@dataclass(frozen=True)
class MLPTrace:
    """Everything one forward pass computed (N inputs, hidden widths H_l).

    Attributes
    ----------
    x : (N, I) inputs
    pre : per hidden layer, its pre-activation (N, H_l)
    h : per hidden layer, its activation (N, H_l)
    z : (N, 1) output logits
    p : (N, 1) output probabilities, ``sigmoid(z)``
    """

    x: np.ndarray
    pre: tuple[np.ndarray, ...]
    h: tuple[np.ndarray, ...]
    z: np.ndarray
    p: np.ndarray

    @property
    def layers(self) -> tuple[np.ndarray, ...]:
        """Every layer's activations, input first and output last: ``(x, *h, p)``."""
        return (self.x, *self.h, self.p)


class MLP:
    """Dense layers with a hidden activation and a sigmoid output.

    Parameters
    ----------
    sizes : (n_in, *hidden, n_out) layer widths
    activation : hidden activation name (see :mod:`engine.activations`)
    rng : draws the N(0, 1) initial weights (a ``np.random.Generator``; a
        ``RandomState`` also works, to replay a legacy stream); default seed 0
    params : use these weights instead (names ``W1, b1, ..., Wout, bout``)
    """

    def __init__(self, sizes, activation: str = "sigmoid", rng=None, params=None):
        self.sizes = tuple(int(n) for n in sizes)
        self.act = activations.get(activation)
        shapes = self.param_shapes()
        if params is None:
            rng = rng if rng is not None else np.random.default_rng(0)
            params = {name: rng.normal(0.0, 1.0, size=shape) for name, shape in shapes.items()}
        elif {k: np.shape(v) for k, v in params.items()} != shapes:
            raise ValueError(f"weights do not fit a {'-'.join(map(str, self.sizes))} network")
        self.params: dict[str, np.ndarray] = params

    @property
    def n_hidden(self) -> int:
        return len(self.sizes) - 2

    def _names(self, l: int) -> tuple[str, str]:
        """Weight and bias names of layer ``l`` (1-based; the last one is the output)."""
        return ("Wout", "bout") if l == self.n_hidden + 1 else (f"W{l}", f"b{l}")

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes = {}
        for l, (a, b) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True), start=1):
            W, bias = self._names(l)
            shapes[W], shapes[bias] = (a, b), (b,)
        return shapes

    def forward(self, x: np.ndarray) -> MLPTrace:
        """Run ``x`` (N, I) through the network; returns the :class:`MLPTrace`."""
        p = self.params
        x = np.asarray(x, dtype=float)
        pre, h, a = [], [], x
        for l in range(1, self.n_hidden + 1):
            u = a @ p[f"W{l}"] + p[f"b{l}"]  # (N, H_l)
            a = self.act.f(u)
            pre.append(u)
            h.append(a)
        z = a @ p["Wout"] + p["bout"]  # (N, 1)
        return MLPTrace(x, tuple(pre), tuple(h), z, activations.sigmoid(z))

    def backward(self, trace: MLPTrace, dz: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of the loss for every parameter, given ``dz`` = dLoss/dz (N, 1)."""
        p, grads = self.params, {}
        inputs = (trace.x, *trace.h)  # what each layer multiplies
        du = dz
        for l in range(self.n_hidden + 1, 0, -1):
            W, b = self._names(l)
            grads[W] = inputs[l - 1].T @ du  # (H_{l-1}, H_l)
            grads[b] = du.sum(axis=0)  # (H_l,)
            if l > 1:
                dh = du @ p[W].T  # (N, H_{l-1})
                du = dh * self.act.df(trace.pre[l - 2], trace.h[l - 2])
        return grads

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(N,) probability of a 1 for each input row."""
        return self.forward(x).p[:, 0]


def loss_and_grad(name: str, z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The named loss of ``sigmoid(z)`` against ``y`` and its gradient w.r.t. ``z`` (see module doc)."""
    if name in ("bce", "ce"):
        value, dz = losses.bce(z, y)
        return (value, dz) if name == "bce" else (value * z.size, dz * z.size)  # sum == mean * N
    value, dz = losses.mse(z, y)
    if name == "sse":  # 1/2 * sum  ==  mean * N / 2
        k = z.size / 2.0
        return value * k, dz * k
    if name == "mse":
        return value, dz
    raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")


def build(config: XorConfig) -> MLP:
    """A fresh 2-...-1 network for ``config``, weights drawn from ``default_rng(config.seed)``."""
    config.validate()
    return MLP((2, *config.hidden, 1), config.activation, rng=np.random.default_rng(config.seed))


@dataclass(frozen=True)
class XorResult:
    """What one XOR training run ended with (plain arrays)."""

    config: XorConfig
    model: MLP  # the trained network
    losses: np.ndarray  # (steps,) training loss before each step's update
    predictions: np.ndarray  # (4,) outputs for XOR_X after training
    mse: float  # mean squared error of the predictions
    status: str  # "finished" or "diverged"
    message: str  # why it stopped, for a person to read
    wall_s: float  # training time in seconds

    @property
    def steps(self) -> int:
        return len(self.losses)

    @property
    def n_right(self) -> int:
        """How many of the four predictions are on the right side of 0.5."""
        return int(np.sum((self.predictions >= 0.5) == (XOR_Y[:, 0] >= 0.5)))

    @property
    def all_correct(self) -> bool:
        """Every prediction on the right side of 0.5."""
        return self.n_right == len(XOR_Y)


def train_xor(config: XorConfig, model: MLP | None = None) -> XorResult:
    """Train on the four XOR points as ``config`` says (full batch, every step).

    Never raises for numerical trouble: a non-finite loss or weight stops the
    run with ``status == "diverged"``. Updates ``model``'s params in place.
    """
    config.validate()
    model = model or build(config)
    opt = optim.make(config.optimizer, config.lr)
    record = np.empty(config.steps)
    status, message, n = "finished", f"trained {config.steps} steps", config.steps
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for step in range(config.steps):
            trace = model.forward(XOR_X)
            record[step], dz = loss_and_grad(config.loss, trace.z, XOR_Y)
            grads = model.backward(trace, dz)
            if not (math.isfinite(record[step]) and math.isfinite(optim.global_norm(grads))):
                status, n = "diverged", step + 1
                what = (f"the loss became {record[step]}" if not math.isfinite(record[step])
                        else "the gradients overflowed")
                message = (f"Training diverged: {what} at step {n}. "
                           f"Try a smaller learning rate (now {config.lr:g}).")
                break
            opt.step(model.params, grads)
        wall = time.perf_counter() - start
        pred = model.predict(XOR_X)
    mse = float(np.mean((pred - XOR_Y[:, 0]) ** 2))
    if status == "finished" and not math.isfinite(mse):
        status = "diverged"
        message = "Training diverged: the weights overflowed. Try a smaller learning rate."
    return XorResult(config, model, record[:n].copy(), pred, mse, status, message, wall)


def untrained(config: XorConfig) -> XorResult:
    """The network of ``config`` as it starts, before any step: a result with no losses (step 0)."""
    config.validate()
    model = build(config)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        pred = model.predict(XOR_X)
    mse = float(np.mean((pred - XOR_Y[:, 0]) ** 2))
    return XorResult(config, model, np.empty(0), pred, mse, "finished", "not trained yet", 0.0)
