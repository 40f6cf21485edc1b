"""Downloads: the trained model as ``.npz`` and the training history as CSV.

The files are made only when a button is clicked (deferred data), so a long
history costs nothing while training runs.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import streamlit as st

from engine import checkpoint
from engine.history import History
from engine.model import SequenceModel
from ui.session import weights_step


def history_frame(history: History) -> pd.DataFrame:
    """One row per step (training columns) with the evaluation columns on the steps evaluated."""
    train = {k: np.array(v) for k, v in history.train.to_dict().items()}
    n = min(len(v) for v in train.values())  # a row appended meanwhile is left for the next download
    train_df = pd.DataFrame({k: v[:n] for k, v in train.items()})
    evals = {k: np.array(v) for k, v in history.evals.to_dict().items()}
    m = min(len(v) for v in evals.values())
    eval_df = pd.DataFrame({k: v[:m] for k, v in evals.items()})
    df = train_df.merge(eval_df, on="step", how="outer").sort_values("step", kind="stable")
    for col in ("step", "samples"):
        df[col] = df[col].astype("Int64")
    return df.reset_index(drop=True)


def history_csv(history: History) -> bytes:
    return history_frame(history).to_csv(index=False).encode()


def model_npz(model: SequenceModel, meta: dict | None = None) -> bytes:
    buf = io.BytesIO()
    checkpoint.save(buf, model, meta)
    return buf.getvalue()


def download_buttons(trainer, key: str = "train") -> None:
    """Two buttons side by side: the model (.npz) and the history (.csv) of ``trainer``.

    Both work while a run trains: the weights are its latest stored snapshot (their step is in the
    file name and the file), the history is every row recorded so far.
    """
    step = weights_step(trainer)
    name = f"rnn-addition-{trainer.config.cell}-{trainer.config.bits}bit-step{step}"
    meta = {"step": step, "samples": trainer.samples, "solved_at_step": trainer.solved_at_step}
    model, history = trainer.model, trainer.history
    c1, c2 = st.columns(2)
    c1.download_button("Download the model (.npz)", data=lambda: model_npz(model, meta),
                       file_name=f"{name}.npz", mime="application/octet-stream", key=f"{key}.dl_model",
                       icon=":material/download:", on_click="ignore", width="stretch",
                       help="Weights and settings, to load again later.")
    c2.download_button("Download the history (.csv)", data=lambda: history_csv(history),
                       file_name=f"{name}.csv", mime="text/csv", key=f"{key}.dl_history",
                       icon=":material/table_view:", on_click="ignore", width="stretch",
                       help="Loss and gradient norm per step, accuracy at every evaluation.")
