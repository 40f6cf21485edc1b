"""A linear probe: can the carry be read off the hidden state by a straight line?

A logistic regression ``P(carry) = sigmoid(h . w + b)`` is fitted to hidden
states (Newton's method on the L2-regularised cross-entropy, so it is
deterministic and needs no learning rate) and scored on hidden states of
*other* sums than those it was fitted on. High held-out accuracy means the
network keeps the carry in a linearly readable form.

:class:`ProbeTracker` repeats a small, warm-started fit as training goes on,
giving the probe accuracy against training step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.activations import sigmoid
from engine.analysis.states import States, collect_states, finite
from engine.data import AdditionBatch, eval_set
from engine.model import SequenceModel


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1e-4, max_iter: int = 50, tol: float = 1e-9,
                 w0: np.ndarray | None = None) -> np.ndarray:
    """Weights ``w`` (d+1,) of ``P(y=1) = sigmoid(X w[:-1] + w[-1])`` by damped Newton steps.

    Parameters
    ----------
    X : (n, d) features (best standardised); y : (n,) labels in {0, 1}
    l2 : ridge penalty on the weights (not the intercept); keeps separable data finite
    max_iter, tol : stop after this many steps or when a step moves ``w`` by less than ``tol``
    w0 : (d+1,) starting weights (a warm start), or None for zeros
    """
    n, d = X.shape
    Xb = np.hstack([X, np.ones((n, 1))])
    y = y.astype(np.float64)
    ridge = np.full(d + 1, l2)
    ridge[-1] = 0.0
    w = np.zeros(d + 1) if w0 is None or w0.shape != (d + 1,) else w0.astype(np.float64).copy()

    def objective(w):
        z = Xb @ w
        return float(np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * np.dot(ridge * w, w))

    f = objective(w)
    for _ in range(max_iter):
        p = sigmoid(Xb @ w)
        g = Xb.T @ (p - y) / n + ridge * w
        hess = (Xb.T * (p * (1.0 - p))) @ Xb / n + np.diag(ridge + 1e-10)
        try:
            step = np.linalg.solve(hess, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, g, rcond=None)[0]
        s = 1.0
        while True:  # backtracking: Newton may overshoot where the loss is nearly flat
            f_new = objective(w - s * step)
            if f_new <= f - 1e-4 * s * float(g @ step) or s < 1e-6:
                break
            s *= 0.5
        w -= s * step
        f = f_new
        if s * np.linalg.norm(step) < tol * (1.0 + np.linalg.norm(w)):
            break
    return w


@dataclass(frozen=True)
class Probe:
    """A fitted carry probe: ``P(carry) = sigmoid(h . w + b)``.

    Attributes
    ----------
    w : (H,) weights on the raw hidden state; b : intercept
    train_acc, test_acc : accuracy on the fitting states and on held-out sums' states
    n_train, n_test : how many states each was measured on
    baseline_acc : held-out accuracy of the best guess from the current step's two input
        bits alone (what the probe must beat to show the state remembers something)
    target : what it reads out ("carry_out" by default)
    layer, key : where the states came from
    """

    w: np.ndarray
    b: float
    train_acc: float
    test_acc: float
    n_train: int
    n_test: int
    baseline_acc: float
    target: str
    layer: int
    key: str

    def predict_proba(self, h: np.ndarray) -> np.ndarray:
        """(...,) probability of a carry for states ``h`` (..., H)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return sigmoid(finite(h) @ self.w + self.b)

    def predict(self, h: np.ndarray) -> np.ndarray:
        """(...,) the probe's carry bit for states ``h`` (..., H)."""
        return (self.predict_proba(h) >= 0.5).astype(np.uint8)


def split_pairs(pair: np.ndarray, test_frac: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (train, test) over rows, splitting by sum so no sum is in both."""
    ids = np.unique(pair)
    perm = np.random.default_rng(seed).permutation(ids)
    n_test = int(round(len(ids) * test_frac)) if len(ids) > 1 else 0
    test_ids = perm[:n_test]
    test = np.isin(pair, test_ids)
    return ~test, test


def fit_probe(states: States, target: str = "carry_out", test_frac: float = 0.5, max_train: int = 16384,
              max_test: int = 65536, seed: int = 0, l2: float = 1e-4, max_iter: int = 50,
              warm: Probe | None = None) -> Probe:
    """Fit a carry probe on some sums' states and score it on the others'.

    Parameters
    ----------
    states : from :func:`engine.analysis.states.collect_states`
    target : the truth to read out; "carry_out" (what ``h_t`` must pass on to step t+1)
    test_frac : share of the sums held out for scoring
    max_train, max_test : sub-sample the states to at most this many (deterministic)
    warm : a previous probe on states of the same width to start from (faster)
    """
    y = states.target(target).astype(np.float64)
    h = finite(states.h)
    rng = np.random.default_rng(seed)
    train, test = split_pairs(states.pair, test_frac, seed)
    tr_idx, te_idx = np.flatnonzero(train), np.flatnonzero(test)
    if len(tr_idx) > max_train:
        tr_idx = np.sort(rng.choice(tr_idx, max_train, replace=False))
    if len(te_idx) > max_test:
        te_idx = np.sort(rng.choice(te_idx, max_test, replace=False))
    if len(te_idx) == 0:  # a single sum: score on what was fitted
        te_idx = tr_idx
    Xtr = h[tr_idx]
    mu = Xtr.mean(axis=0)
    sd = Xtr.std(axis=0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    w0 = None
    if warm is not None and warm.w.shape == mu.shape:  # the same line, in standardised units
        w0 = np.append(warm.w * sd, warm.b + float(warm.w @ mu))
    ws = fit_logistic((Xtr - mu) / sd, y[tr_idx], l2=l2, max_iter=max_iter, w0=w0)
    w = ws[:-1] / sd
    b = float(ws[-1] - np.dot(w, mu))

    def acc(idx):
        if not len(idx):
            return float("nan")
        return float(np.mean((sigmoid(h[idx] @ w + b) >= 0.5) == (y[idx] >= 0.5)))

    return Probe(w=w, b=b, train_acc=acc(tr_idx), test_acc=acc(te_idx), n_train=len(tr_idx),
                 n_test=len(te_idx), baseline_acc=input_baseline(states, y, tr_idx, te_idx),
                 target=target, layer=states.layer, key=states.key)


def input_baseline(states: States, y: np.ndarray, tr_idx: np.ndarray, te_idx: np.ndarray) -> float:
    """Held-out accuracy of predicting ``y`` from (a bit, b bit) alone, by majority per combination."""
    combo = states.a_bit.astype(int) * 2 + states.b_bit.astype(int)
    guess = np.zeros(4)
    for k in range(4):
        sel = combo[tr_idx] == k
        guess[k] = float(np.mean(y[tr_idx][sel]) >= 0.5) if sel.any() else 0.0
    return float(np.mean(guess[combo[te_idx]] == y[te_idx])) if len(te_idx) else float("nan")


def carry_probe(model: SequenceModel, batch: AdditionBatch | None = None, layer: int = -1, key: str = "h",
                target: str = "carry_out", max_pairs: int | None = None, seed: int = 0) -> Probe:
    """Fit a carry probe to ``model``'s states on ``batch`` (default: the evaluation set)."""
    batch = batch if batch is not None else eval_set(model.config.bits)
    states = collect_states(model, batch, layer=layer, key=key, max_pairs=max_pairs, seed=seed)
    return fit_probe(states, target=target, seed=seed)


class ProbeTracker:
    """Probe accuracy against training step, one point per :meth:`update`.

    Each update runs the model on a small fixed sample of the evaluation set
    and refits the probe from the previous fit (a few Newton steps), so it is
    cheap enough to call every few hundred milliseconds while training runs.
    A step lower than the last one (the run was reset) starts a new series.

    Attributes
    ----------
    steps, accuracy : (K,) the series so far (held-out probe accuracy)
    probe : the latest :class:`Probe`, or None
    """

    def __init__(self, pairs: int = 256, layer: int = -1, key: str = "h", target: str = "carry_out",
                 seed: int = 0):
        self.pairs, self.layer, self.key, self.target, self.seed = pairs, layer, key, target, seed
        self._bits: int | None = None
        self._batch: AdditionBatch | None = None
        self.reset()

    def reset(self) -> None:
        self._steps: list[int] = []
        self._acc: list[float] = []
        self.probe: Probe | None = None

    @property
    def steps(self) -> np.ndarray:
        return np.asarray(self._steps, dtype=np.int64)

    @property
    def accuracy(self) -> np.ndarray:
        return np.asarray(self._acc, dtype=np.float64)

    def __len__(self) -> int:
        return len(self._steps)

    def update(self, model: SequenceModel, step: int) -> float:
        """Measure the probe on ``model`` at training ``step``, record it and return the accuracy."""
        if self._bits != model.config.bits:
            self._bits = model.config.bits
            self._batch = eval_set(self._bits, max_pairs=self.pairs, seed=self.seed + 1)
            self.reset()
        if self._steps and step < self._steps[-1]:
            self.reset()
        if self._steps and step == self._steps[-1]:
            return self._acc[-1]
        states = collect_states(model, self._batch, layer=self.layer, key=self.key)
        warm = self.probe if self.probe is not None and self.probe.w.shape[0] == states.h.shape[1] else None
        self.probe = fit_probe(states, target=self.target, seed=self.seed, warm=warm,
                               max_iter=50 if warm is None else 8)
        self._steps.append(int(step))
        self._acc.append(self.probe.test_acc)
        return self.probe.test_acc
