"""Where the carry lives: correlation ranking, full-adder truth table, PCA.

The carry a network must remember at step ``t`` is ``carry_out[t]``: after
reading bits ``a_t`` and ``b_t``, the state ``h_t`` is all that reaches step
``t + 1``, so it has to hold the carry going out of column ``t`` (which is
the carry coming into column ``t + 1``). The analyses below therefore line
``h_t`` up with ``carry_out[t]`` by default; ``carry_in`` can be asked for too.

Every function returns plain NumPy arrays (or a list of plain rows) for the
UI to lay out. See also :mod:`engine.analysis.probe` (linear read-out of the carry),
:mod:`engine.analysis.explain` (one sum, one step) and :mod:`engine.analysis.generalise`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace

import numpy as np

from engine.analysis.budget import Sample, sums_within
from engine.analysis.probe import Probe, fit_probe
from engine.analysis.states import States, collect_states, default_pairs, finite
from engine.data import AdditionBatch, eval_set
from engine.model import SequenceModel


def fingerprint(model: SequenceModel) -> str:
    """A short hex digest of the configuration and weights (a cache key for analyses)."""
    h = hashlib.sha256(model.config.to_json().encode())
    for name in sorted(model.params):
        h.update(name.encode())
        h.update(np.ascontiguousarray(model.params[name], dtype=np.float64).tobytes())
    return h.hexdigest()[:16]


# --- correlation ------------------------------------------------------------

def correlate(h: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column of ``h`` (N, H) with ``target`` (N,).

    A constant column (or a constant target) has correlation 0, not NaN;
    non-finite values count as 0.
    """
    h = finite(np.asarray(h, dtype=np.float64))
    y = np.asarray(target, dtype=np.float64)
    n = h.shape[0]
    if n < 2:
        return np.zeros(h.shape[1])
    hc = h - h.mean(axis=0)
    yc = y - y.mean()
    sx = np.sqrt(np.einsum("nh,nh->h", hc, hc))
    sy = float(np.sqrt(yc @ yc))
    # "constant" relative to the column's size, so rounding noise in a flat column is not a signal
    scale = np.abs(h).max(axis=0) * np.sqrt(n)
    flat = sx <= 1e-9 * scale
    if sy <= 1e-9 * float(np.abs(y).max()) * np.sqrt(n) or sy == 0.0:
        return np.zeros(h.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (hc.T @ yc) / (sx * sy)
    r = np.where(flat | ~np.isfinite(r), 0.0, r)
    return np.clip(r, -1.0, 1.0)


@dataclass(frozen=True)
class CarryCorrelation:
    """Correlation of each hidden unit with the carry.

    Attributes
    ----------
    r : (H,) signed Pearson correlation per unit (0 for a constant unit)
    ranking : (H,) unit indices, strongest ``|r|`` first (ties keep unit order)
    target : which carry ("carry_out" or "carry_in")
    """

    r: np.ndarray
    ranking: np.ndarray
    target: str

    @property
    def best(self) -> int:
        """The unit that tracks the carry most closely."""
        return int(self.ranking[0])

    def strong(self, min_abs: float = 0.8, rel: float = 0.9) -> np.ndarray:
        """Units whose ``|r|`` is at least ``min_abs`` and within ``rel`` of the best (best first)."""
        top = float(abs(self.r[self.ranking[0]])) if len(self.r) else 0.0
        keep = [int(u) for u in self.ranking if abs(self.r[u]) >= max(min_abs, rel * top)]
        return np.asarray(keep, dtype=np.int64)


def rank_units(r: np.ndarray) -> np.ndarray:
    """Unit indices by ``|r|``, strongest first; a stable order for ties."""
    return np.argsort(-np.abs(r), kind="stable")


def carry_correlation(states: States, target: str = "carry_out") -> CarryCorrelation:
    """Correlate every unit of ``states`` with the true carry."""
    r = correlate(states.h, states.target(target))
    return CarryCorrelation(r=r, ranking=rank_units(r), target=target)


# --- truth table ------------------------------------------------------------

def truth_table(states: States, probe: Probe | None = None) -> list[dict]:
    """The full adder's 8 rows (a bit, b bit, carry in) and what the network does in each.

    Each row is a dict: ``a``, ``b``, ``carry_in``; the truth ``sum_bit``
    (a XOR b XOR c) and ``carry_out`` (majority); ``count`` positions of the
    states with that combination; ``mean_prob`` (mean output probability),
    ``pred_bit`` (the network's majority predicted sum bit) and ``bit_acc``
    (share of those positions it got right); with a probe, ``probe_prob``
    (mean probe probability of a carry out) and ``probe_carry`` (its majority
    bit). Values are None for a combination that never occurs.
    """
    combo = states.a_bit.astype(int) * 4 + states.b_bit.astype(int) * 2 + states.carry_in.astype(int)
    pred = states.pred_bit
    probe_p = probe.predict_proba(states.h) if probe is not None else None
    rows = []
    for k in range(8):
        a, b, c = k >> 2 & 1, k >> 1 & 1, k & 1
        sel = combo == k
        n = int(sel.sum())
        s, co = a ^ b ^ c, int(a + b + c >= 2)
        row = {"a": a, "b": b, "carry_in": c, "sum_bit": s, "carry_out": co, "count": n,
               "mean_prob": None, "pred_bit": None, "bit_acc": None}
        if n:
            row["mean_prob"] = float(np.mean(states.prob[sel]))
            row["pred_bit"] = int(np.mean(pred[sel]) >= 0.5)
            row["bit_acc"] = float(np.mean(pred[sel] == s))
        if probe_p is not None:
            row["probe_prob"] = float(np.mean(probe_p[sel])) if n else None
            row["probe_carry"] = int(np.mean(probe_p[sel] >= 0.5) >= 0.5) if n else None
        rows.append(row)
    return rows


# --- projection -------------------------------------------------------------

@dataclass(frozen=True)
class Projection:
    """Hidden states projected on their first principal components.

    Attributes
    ----------
    points : (n, k) coordinates of a sub-sample of the states (for drawing)
    carry : (n,) the true carry (``target``) at each drawn point
    step, pair : (n,) time step and sum index of each drawn point
    explained : (k,) share of the states' variance along each component
    components : (k, H) the directions; mean : (H,) the centre
    """

    points: np.ndarray
    carry: np.ndarray
    step: np.ndarray
    pair: np.ndarray
    explained: np.ndarray
    components: np.ndarray
    mean: np.ndarray

    def project(self, h: np.ndarray) -> np.ndarray:
        """Coordinates (..., k) of any states ``h`` (..., H) on the same components."""
        return (finite(h) - self.mean) @ self.components.T


def pca_projection(states: States, k: int = 2, max_points: int = 3000, target: str = "carry_out",
                   seed: int = 0) -> Projection:
    """Principal components of all ``states`` and a drawable sub-sample projected on them.

    Components come from every state; only the drawn points are sub-sampled.
    Signs are fixed (largest loading positive) so the picture does not flip
    between calls. With fewer than ``k`` units the missing components are 0.
    """
    X = finite(states.h)
    n, H = X.shape
    mean = X.mean(axis=0) if n else np.zeros(H)
    Xc = X - mean
    cov = Xc.T @ Xc / max(n - 1, 1)
    vals, vecs = np.linalg.eigh(cov)  # ascending
    order = np.argsort(vals)[::-1]
    vals, vecs = np.clip(vals[order], 0.0, None), vecs[:, order]
    comps = np.zeros((k, H))
    m = min(k, H)
    comps[:m] = vecs[:, :m].T
    for i in range(m):
        j = int(np.argmax(np.abs(comps[i])))
        if comps[i, j] < 0:
            comps[i] = -comps[i]
    total = float(vals.sum())
    explained = np.zeros(k)
    if total > 0:
        explained[:m] = vals[:m] / total
    idx = np.arange(n)
    if n > max_points:
        idx = np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))
    return Projection(points=Xc[idx] @ comps.T, carry=states.target(target)[idx], step=states.step[idx],
                      pair=states.pair[idx], explained=explained, components=comps, mean=mean)


# --- everything at once -----------------------------------------------------

@dataclass(frozen=True)
class CarryReport:
    """The carry analyses of one model on one set of sums (see :func:`carry_analysis`)."""

    correlation: CarryCorrelation
    probe: Probe
    truth: list
    projection: Projection
    n_states: int
    sample: Sample | None = None  # how many sums were looked at, when sized to a time budget


def carry_analysis(model: SequenceModel, batch: AdditionBatch | None = None, layer: int = -1,
                   key: str = "h", target: str = "carry_out", max_pairs: int | None = None,
                   max_points: int = 3000, seed: int = 0, seconds: float | None = None) -> CarryReport:
    """Correlation ranking, probe, truth table and PCA from one pass over ``batch``.

    ``batch`` defaults to the evaluation set of the model's training width.
    With ``seconds``, at most as many sums as the cost estimate says fit in
    that time are run (at least 4: two to fit the probe, two to test it), and
    fewer if the machine is slower than estimated and the time runs out
    (never fewer than the first chunk); the report's ``sample`` says how many.
    """
    batch = batch if batch is not None else eval_set(model.config.bits)
    sample, deadline = None, None
    if seconds is not None:
        deadline = time.perf_counter() + seconds
        wanted = min(len(batch), max_pairs or default_pairs(model, batch.bits))
        sample = sums_within(model.config, wanted, seconds, batch.bits, floor=4)
        max_pairs = sample.sums
    states = collect_states(model, batch, layer=layer, key=key, max_pairs=max_pairs, seed=seed,
                            deadline=deadline)
    if sample is not None:  # on a busy machine the deadline may have cut the sample further
        sample = replace(sample, sums=len(states) // batch.bits)
    probe = fit_probe(states, target=target, seed=seed)
    return CarryReport(correlation=carry_correlation(states, target), probe=probe,
                       truth=truth_table(states, probe),
                       projection=pca_projection(states, max_points=max_points, target=target, seed=seed),
                       n_states=len(states), sample=sample)
