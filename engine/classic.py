"""The tutorial's algorithm, replayed exactly (reference 000).

One sum per update, hidden sigmoid layer without biases, sigmoid read-out,
the gradient of half the summed squared error, plain SGD. Operands come from
a legacy ``np.random.RandomState`` in the tutorial's order (weights first:
input, output, recurrent; then ``a`` and ``b`` per iteration), which yields
the same stream as the tutorial's global ``np.random.seed`` without touching
global state. Array shapes and the order of every accumulation follow the
tutorial so that its printed errors are reproduced to the last digit.
"""

from __future__ import annotations

import numpy as np

from engine.data import int_to_bits


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def init_params(rs: np.random.RandomState, hidden: int) -> dict[str, np.ndarray]:
    """Weights uniform in [-1, 1), drawn in the tutorial's order."""
    Wxh = 2 * rs.random_sample((2, hidden)) - 1
    Why = 2 * rs.random_sample((hidden, 1)) - 1
    Whh = 2 * rs.random_sample((hidden, hidden)) - 1
    return {"L1.Wxh": Wxh, "L1.Whh": Whh, "Why": Why}


def train_sample(params: dict[str, np.ndarray], rs: np.random.RandomState, lr: float,
                 bits: int = 8) -> tuple[float, float]:
    """Draw one sum, backpropagate through time, update ``params`` in place.

    Returns the sum of absolute output errors over the sample (the tutorial's
    printed error) and the norm of the update before scaling by ``lr``.
    """
    Wxh, Whh, Why = params["L1.Wxh"], params["L1.Whh"], params["Why"]
    hidden = Whh.shape[0]
    half = 2 ** bits // 2
    a_int = rs.randint(half)
    b_int = rs.randint(half)
    a, b = int_to_bits(a_int, bits), int_to_bits(b_int, bits)  # LSB first
    c = int_to_bits(a_int + b_int, bits)

    error = 0.0
    out_deltas = []
    hs = [np.zeros(hidden)]  # h_{-1}; 1-D as in the tutorial, later states are (1, H)
    for t in range(bits):
        x = np.array([[a[t], b[t]]], dtype=np.float64)  # (1, 2)
        y = np.array([[c[t]]], dtype=np.float64)  # (1, 1)
        h = _sigmoid(np.dot(x, Wxh) + np.dot(hs[-1], Whh))  # (1, H)
        p = _sigmoid(np.dot(h, Why))  # (1, 1)
        err = y - p
        out_deltas.append(err * (p * (1 - p)))
        error += np.abs(err[0])
        hs.append(h.copy())

    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dh_next = np.zeros(hidden)  # "future" delta flowing back from step t+1
    for t in range(bits - 1, -1, -1):
        x = np.array([[a[t], b[t]]], dtype=np.float64)
        h, h_prev = hs[t + 1], hs[t]
        dpre = (dh_next.dot(Whh.T) + out_deltas[t].dot(Why.T)) * (h * (1 - h))
        dWhy += np.atleast_2d(h).T.dot(out_deltas[t])
        dWhh += np.atleast_2d(h_prev).T.dot(dpre)
        dWxh += x.T.dot(dpre)
        dh_next = dpre

    # The deltas point downhill already (target minus output), hence "+=".
    Wxh += dWxh * lr
    Why += dWhy * lr
    Whh += dWhh * lr
    norm = float(np.sqrt(np.vdot(dWxh, dWxh) + np.vdot(dWhh, dWhh) + np.vdot(dWhy, dWhy)))
    return float(error[0]), norm


def format_error(error: float) -> str:
    """The error as the tutorial prints it (a one-element NumPy array)."""
    return str(np.array([error]))
