"""Train: set hyperparameters, press Play, watch a recurrent network learn to add."""

import streamlit as st

from pages.train import figures
from ui import controls, downloads, live, predictions, status, task_picture
from ui import link as query
from ui import session as state
from ui.live_chart import live_chart

lab = state.session()
config = controls.config_controls(lab.config, key="train")
query.write(config)
pending = state.apply(config)
status.show_status()  # the settings are applied: the status bar shows the run as it now is

task_picture.show(
    "Press **Play** and the network starts adding random pairs of binary numbers, one bit per time step "
    "from the least significant end. Watch the loss fall, the accuracy climb and the example sums below "
    "turn right (red bits are wrong). Change the settings on the left; the learning rate applies at once.")
with st.container():  # one slot whatever it holds, so the views below keep their place between runs
    if lab.link_warnings:
        with st.container(border=True):
            st.warning("Some settings in the link could not be used:\n\n"
                       + "\n".join(f"- {w}" for w in lab.link_warnings), icon=":material/link_off:")
            st.button("Dismiss", key="train.dismiss_link", on_click=lab.link_warnings.clear)

with st.container():  # notices, in one slot (see above)
    if lab.trainer.config.algorithm == "classic":
        st.caption("The tutorial's loop learns from one sum per step, so steps and samples seen are the "
                   "same number; it needs tens of thousands of steps where the batched trainer needs "
                   "hundreds. Its training loss is the tutorial's printed error: the summed absolute error "
                   "of one sum's bits.")
    if pending:
        with st.container(border=True):
            changed = ", ".join(controls.label(name).lower() for name in pending)
            st.info(f"You changed **{changed}**. The network being trained still uses the old "
                    "settings; reset to start a fresh one with the new settings.", icon=":material/info:")
            st.button("Reset with the new settings", key="train.reset_pending",
                      on_click=controls.reset_to_widgets, icon=":material/restart_alt:")


# Live views. The loss chart polls the run and redraws on every tick; the others redraw less often. Each
# chart is a live chart, updated in place in the browser (never blanked, zoom kept).
@live.view()
def loss_view():
    tr = state.session().trainer
    train, evals = tr.history.train, tr.history.evals
    classic = tr.config.algorithm == "classic"  # its training loss is another kind: an axis each
    live_chart(figures.loss_figure(train["step"], train["loss"], evals["step"], evals["eval_loss"],
                                   revision=lab.revision, solved_at=tr.solved_at_step,
                                   train_label="one sum's summed |error|" if classic else None,
                                   eval_label="evaluation cross-entropy" if classic else None),
               key="train.loss_chart")


@live.view(every=4, drive=False)
def accuracy_view():
    tr = state.session().trainer
    evals = tr.history.evals
    live_chart(figures.accuracy_figure(evals["step"], evals["exact_acc"], evals["bit_acc"],
                                       revision=lab.revision,
                                       solved_at=tr.solved_at_step), key="train.accuracy_chart")


@live.view(every=4, drive=False)
def grad_view():
    tr = state.session().trainer
    train = tr.history.train
    live_chart(figures.grad_norm_figure(train["step"], train["grad_norm"], revision=lab.revision),
               key="train.grad_chart")


@live.view(every=8, drive=False)
def glance():
    tr = state.session().trainer
    bits = tr.config.bits
    rows = predictions.predict(tr.model, predictions.example_sums(bits), bits)
    left, right = st.columns(2, gap="medium")
    with left:
        st.subheader(f"Example sums ({predictions.summary(rows)})")
        st.html(predictions.table_html(rows))
    with right:
        first = rows[0]
        view = predictions.glance(tr.model, first.a, first.b, bits)
        st.subheader(f"Inside the network: {first.a} + {first.b}")
        live_chart(figures.hidden_heatmap(view.h, view.bit_rows, zrange=view.zrange,
                                          title="Hidden units at each bit (top layer)",
                                          revision=lab.revision),
                   key="train.hidden_chart")


c1, c2, c3 = st.columns(3)
with c1:
    loss_view()
with c2:
    accuracy_view()
with c3:
    grad_view()
glance()
downloads.download_buttons(lab.trainer, key="train")
