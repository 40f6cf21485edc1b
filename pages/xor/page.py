"""XOR: the smallest problem a single layer cannot learn, and a small network that can."""

import streamlit as st

from engine.xor.mlp import XOR_X, XOR_Y
from pages.xor import figures as F
from pages.xor import link as XL
from pages.xor import state as X
from ui import page_link, present
from ui.theme import state_range

TARGETS = XOR_Y[:, 0]
P = X.P

XL.read()
config, error = X.controls(st.sidebar)
status = st.container()  # this page's own run status, where the other pages show the addition run's
page_link.show_warnings(XL.PAGE)

st.markdown(
    "XOR is 1 when exactly one input is 1. No straight line separates its two 1s from its two 0s, so a "
    "network needs a hidden layer to bend the input plane first. Set a network up on the left; it trains on "
    "the four points (full batch) in a fraction of a second.")

if error:
    st.error(f"These settings cannot be trained: {error}.", icon=":material/error:")

c1, c2, _ = st.columns([1, 1.3, 3.7])
c1.button("Train", key=P + "train", type="primary", icon=":material/play_arrow:", on_click=X.train_now,
          disabled=config is None, width="stretch", help="Train a fresh network with these settings.")
c2.button("Next seed", key=P + "next_seed", icon=":material/casino:", on_click=X.next_seed,
          width="stretch", help="The same settings from other random starting weights.")

shown = X.shown_config(config)
if config is not None and shown != config:
    st.info("The results below are for the previous settings; press **Train** to train these.",
            icon=":material/info:")
arch = "-".join(map(str, (2, *shown.hidden, 1)))
with st.spinner(f"Training the {arch} network for {shown.steps:,} steps…"):
    final = X.train(shown)

with status, st.container(border=True, key="xor_status"):
    m = st.columns(5)
    m[0].metric("State", "⚠ diverged" if final.status == "diverged" else "✔ trained")
    m[1].metric("Network", arch)
    m[2].metric("Mean squared error", f"{final.mse:.2g}" if final.status == "finished" else "–")
    m[3].metric("Right answers", f"{final.n_right} / 4" if final.status == "finished" else "–")
    m[4].metric(f"Steps ({shown.steps:,}) in", f"{1000 * final.wall_s:,.0f} ms")
    if final.status == "diverged":
        st.error(final.message, icon=":material/warning:")

if final.status == "finished":
    marks = X.replay_steps(shown.steps)
    at = st.select_slider("Look at the network after step", marks, key=X.replay_key(shown, marks),
                          format_func=lambda s: f"{s:,}",
                          help="Retrains from the same start up to that step (training is deterministic), "
                               "so you can watch the boundary form.")
else:
    at = len(final.losses)
view = X.view_at(shown, final, at)

left, right = st.columns([1, 1.1], gap="medium")
with left:
    st.subheader(f"The four predictions after {len(view.losses):,} steps")
    st.dataframe(F.predictions_frame(XOR_X, TARGETS, view.predictions), hide_index=True,
                 key=P + "predictions", column_config={
                     "prediction": st.column_config.NumberColumn(format="%.4f")})
    with present.fold("Printed as the tutorial prints them"):
        st.code(F.printed_lines(XOR_X, view.predictions), language=None)
    present.caption("With its own random start the tutorial's 2-64-1 program printed "
               + ", ".join(f"{p:.3f}" for p in X.REFERENCE_PRINT)
               + ". Squared error learns slowly once the sigmoid output saturates; cross-entropy does not, "
                 "so it gets closer to 0 and 1 in the same number of steps. Try a few seeds with each.")
    st.plotly_chart(F.loss_figure(final.losses, X.LOSS_LABELS[shown.loss].split(" (")[0],
                                  at_step=at if at < len(final.losses) else None, revision=str(shown)),
                    key=P + "loss_chart")
with right:
    xs, ys, probs = view.grid
    st.plotly_chart(F.boundary_figure(xs, ys, probs, XOR_X, TARGETS, view.predictions, revision=str(shown)),
                    key=P + "boundary_chart")
    present.caption("Orange where the network says 1, blue where it says 0; the dashed line is where it is "
               "undecided (output 0.5). Squares should sit in blue, circles in orange.")

st.subheader("Inside: the hidden layers on the four inputs")
zr = state_range(shown.activation)
cols = st.columns(len(view.hidden))
for l, (col, h) in enumerate(zip(cols, view.hidden, strict=True), start=1):
    title = f"Hidden layer {l}: {h.shape[1]} units ({shown.activation})"
    col.plotly_chart(F.hidden_figure(h, XOR_X, TARGETS, title, zrange=zr, revision=str(shown)),
                     key=f"{P}hidden_chart{l}")
present.caption(
    "Each row is one input, each column one unit, sorted so that the units firing more for the "
    "inputs whose XOR is 1 come first. The output unit adds these up with its weights, so the "
    "two rows that should give 1 must differ from the two that should give 0 in some units: the"
    " hidden layer has moved the four points where a straight line can separate them.")
XL.write()
