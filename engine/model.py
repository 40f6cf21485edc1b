"""A sequence model: stacked recurrent layers under a per-step sigmoid read-out.

``forward`` returns a :class:`Trace` of stacked arrays (what the UI draws);
``backward`` consumes it and returns gradients keyed by parameter name plus
the gradient norm reaching every time step of every layer.

Parameters live in one flat dict: layer ``l`` (1-based) owns ``L{l}.<name>``
(``L1.Wxh``, ``L1.Whh``, ``L1.bh`` for a vanilla RNN), the read-out owns
``Why`` and ``by``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.activations import sigmoid
from engine.cells.gru import GRUCell
from engine.cells.lstm import LSTMCell
from engine.cells.rnn import RNNCell
from engine.cells.trace import LayerTrace
from engine.config import Config
from engine.init import weight

# Cell classes by Config.cell.
CELLS: dict[str, type] = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}

N_IN, N_OUT = 2, 1  # two operand bits in, one sum bit out


@dataclass(frozen=True)
class Trace:
    """Everything one forward pass computed, time-major.

    Attributes
    ----------
    x : (T, B, I) inputs
    layers : one trace per recurrent layer, bottom first, of the cell's kind
        (``engine.cells.rnn.RNNTrace``, ``lstm.LSTMTrace`` or ``gru.GRUTrace``), each with
        ``h`` (T, B, H)
    masks : per layer, the dropout mask (T, B, H) applied to its output, or None
    z : (T, B, O) read-out logits
    p : (T, B, O) output probabilities, ``sigmoid(z)``
    """

    x: np.ndarray
    layers: tuple[LayerTrace, ...]
    masks: tuple
    z: np.ndarray
    p: np.ndarray

    @property
    def h(self) -> np.ndarray:
        """(T, B, H) hidden states of the top layer."""
        return self.layers[-1].h

    def probs(self) -> np.ndarray:
        """(B, T) probability of a 1 at each output bit, batch-major."""
        return self.p[..., 0].T


class SequenceModel:
    """Stacked recurrent layers (vanilla RNN, LSTM or GRU) with a sigmoid read-out.

    Parameters
    ----------
    config : Config
        Architecture fields are read (cell, hidden, layers, activation, bias,
        init, forget_bias, keep_prob).
    rng : np.random.Generator, optional
        Draws the initial weights; defaults to one seeded with ``config.seed``.
    params : dict, optional
        Use these weights instead of drawing new ones (checked against the
        architecture).
    """

    def __init__(self, config: Config, rng: np.random.Generator | None = None,
                 params: dict[str, np.ndarray] | None = None):
        self.config = config
        try:
            cell_cls = CELLS[config.cell]
        except KeyError:
            raise ValueError(
                f"cell {config.cell!r} is not available; choose one of {', '.join(CELLS)}") from None
        H = config.hidden
        self.cells = [
            cell_cls(N_IN if l == 0 else H, H, activation=config.activation, bias=config.bias,
                     init=config.init, forget_bias=config.forget_bias)
            for l in range(config.layers)
        ]
        if params is None:
            rng = rng if rng is not None else np.random.default_rng(config.seed)
            params = {}
            for l, cell in enumerate(self.cells):
                params.update({f"L{l + 1}.{k}": v for k, v in cell.init_params(rng).items()})
            params["Why"] = weight(rng, (H, N_OUT), config.init)
            if config.bias:
                params["by"] = np.zeros(N_OUT)
        self.dtype = np.dtype(config.dtype)
        self.params = {k: np.asarray(v, dtype=self.dtype) for k, v in params.items()}
        self.check_params(self.params)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """The name and shape of every parameter this architecture has."""
        shapes = {}
        for l, cell in enumerate(self.cells):
            shapes.update({f"L{l + 1}.{k}": s for k, s in cell.param_shapes().items()})
        shapes["Why"] = (self.config.hidden, N_OUT)
        if self.config.bias:
            shapes["by"] = (N_OUT,)
        return shapes

    def check_params(self, params: dict[str, np.ndarray]) -> None:
        """Raise ValueError unless ``params`` has exactly this architecture's names and shapes."""
        want = self.param_shapes()
        missing, extra = sorted(set(want) - set(params)), sorted(set(params) - set(want))
        if missing or extra:
            raise ValueError(
                f"parameters do not match the architecture: missing {missing}, unexpected {extra}")
        for name, shape in want.items():
            if tuple(np.shape(params[name])) != shape:
                raise ValueError(f"parameter {name} has shape {np.shape(params[name])}, expected {shape}")

    def layer_params(self, l: int) -> dict[str, np.ndarray]:
        """Parameters of layer ``l`` (0-based) without their ``L{l+1}.`` prefix."""
        prefix = f"L{l + 1}."
        return {k[len(prefix):]: v for k, v in self.params.items() if k.startswith(prefix)}

    def n_params(self) -> int:
        return sum(int(v.size) for v in self.params.values())

    # --- forward / backward -------------------------------------------------

    def forward(self, x: np.ndarray, rng: np.random.Generator | None = None,
                masks: tuple | None = None, time_major: bool = False) -> Trace:
        """Run the network over a batch.

        Parameters
        ----------
        x : (B, T, I) input bits, batch-major as the data module lays them out,
            or (T, B, I) with ``time_major=True``
        rng : when given and ``keep_prob < 1``, draw dropout masks (training)
        masks : explicit dropout masks per layer (for gradient checks)

        Returns
        -------
        Trace (time-major)
        """
        inp = np.ascontiguousarray(x if time_major else np.swapaxes(x, 0, 1), dtype=self.dtype)  # (T, B, I)
        x_tm = inp
        keep = self.config.keep_prob
        layers, used_masks = [], []
        for l, cell in enumerate(self.cells):
            tr = cell.forward(self.layer_params(l), inp)
            mask = masks[l] if masks is not None else None
            if mask is None and rng is not None and keep < 1.0:
                mask = (rng.random(tr.h.shape) < keep).astype(self.dtype) / keep  # inverted dropout
            layers.append(tr)
            used_masks.append(mask)
            inp = tr.h if mask is None else tr.h * mask
        z = inp @ self.params["Why"]  # (T, B, O)
        if self.config.bias:
            z += self.params["by"]
        return Trace(x_tm, tuple(layers), tuple(used_masks), z, sigmoid(z))

    def backward(self, trace: Trace, dz: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Gradients from ``dz`` (T, B, O), the loss gradient w.r.t. the logits.

        Returns
        -------
        grads : dict keyed like ``params``
        dh_norm : (layers, T) norm of the gradient reaching each layer's ``h_t``
        """
        grads: dict[str, np.ndarray] = {}
        top = trace.h if trace.masks[-1] is None else trace.h * trace.masks[-1]
        dz2 = dz.reshape(-1, dz.shape[2])  # (T*B, O)
        grads["Why"] = top.reshape(-1, top.shape[2]).T @ dz2
        if self.config.bias:
            grads["by"] = dz2.sum(axis=0)
        dh = dz @ self.params["Why"].T  # (T, B, H)
        norms = np.zeros((len(self.cells), trace.x.shape[0]))
        for l in range(len(self.cells) - 1, -1, -1):
            if trace.masks[l] is not None:
                dh = dh * trace.masks[l]
            x_l = trace.x if l == 0 else (
                trace.layers[l - 1].h if trace.masks[l - 1] is None
                else trace.layers[l - 1].h * trace.masks[l - 1])
            dh, g, norms[l] = self.cells[l].backward(self.layer_params(l), x_l, trace.layers[l], dh,
                                                     need_dx=l > 0)
            grads.update({f"L{l + 1}.{k}": v for k, v in g.items()})
        return grads, norms

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(B, T) output probabilities for inputs ``x`` (B, T, I); no dropout."""
        return self.forward(x).probs()

    def copy(self) -> SequenceModel:
        return SequenceModel(self.config, params={k: v.copy() for k, v in self.params.items()})
