"""Gradients: backpropagation through time at work, and checking the gradients it computes."""

import streamlit as st

from engine import schema
from engine.analysis.bptt import SOURCES
from engine.gradcheck import THRESHOLD
from pages.gradients import figures as F
from pages.gradients import link as GL
from pages.gradients import state as G
from ui import live, page_link, present
from ui.live_chart import live_chart
from ui.widgets import setting_widget

P = G.P
CELL_LABELS = schema.BY_NAME["cell"].shown
LOSS_LABELS = schema.BY_NAME["loss"].shown
SOURCE_LABELS = {"all": "every output bit's", "last": "only the last bit's"}
WHAT_LABELS = {"dh": "dL/dh (reaching the state)", "dpre": "δ = dL/d(pre-activation)"}

st.markdown(
    "Training needs the gradient of the loss for every weight. **Backpropagation through time** gets it by "
    "unrolling the network over the bits and sending each output's error back, step by step, through the "
    "same recurrent weights. Here you can watch that error travel, see how much of it reaches the early "
    "bits, and check the computed gradients against brute-force numerical ones.")

linked = GL.read()
page_link.show_warnings(GL.PAGE)
bptt_tab, check_tab, ref_tab = st.tabs(["Backpropagation through time", "Gradient check of the model",
                                        "The reference's two-step check"])


# --- backpropagation through time -----------------------------------------------------------------

def sum_controls(cfg):
    if G.ss().get(P + "sum_bits") != cfg.bits:  # the model's width changed: start from its carry chain
        G.ss()[P + "sum_bits"] = cfg.bits
        a, b = G.default_sum(cfg.bits)
        G.put("a", str(a))
        G.put("b", str(b))
    GL.apply_sum(linked, cfg.bits)
    c = st.columns([1.2, 1.2, 2, 2.4, 1.2], vertical_alignment="bottom")
    c[0].text_input("a", key=G.wkey("a", "0"), on_change=G.keep, args=("a",),
                    help=f"A whole number that fits in {cfg.bits} bits, or binary starting with 0b.")
    c[1].text_input("b", key=G.wkey("b", "0"), on_change=G.keep, args=("b",))
    c[2].radio("Error sent back", SOURCES, key=G.wkey("source", "all"), on_change=G.keep, args=("source",),
               format_func=SOURCE_LABELS.get, help="Only the last bit's error shows how far one error "
                                                   "travels back in time.")
    c[3].radio("Show", list(WHAT_LABELS), key=G.wkey("what", "dh"), on_change=G.keep, args=("what",),
               format_func=WHAT_LABELS.get, disabled=cfg.cell != "rnn",
               help="δ is the state's gradient times the activation's slope: what the weight gradients "
                    "are summed from.")
    if cfg.layers > 1:
        c[4].selectbox("Layer", list(range(cfg.layers)), key=G.wkey("layer", cfg.layers - 1),
                       on_change=G.keep, args=("layer",), format_func=lambda l: f"layer {l + 1}")


@live.view(every=2)
def bptt_view():
    tr = G.trainer()
    model, cfg = tr.model, tr.model.config
    pair, error = G.chosen_sum(cfg.bits)
    if error:
        st.error(error, icon=":material/error:")
        return
    a, b = pair
    source = G.ss().get(P + "source", "all")
    g = G.one_sum(model, a, b, source)
    layer = int(G.ss().get(P + "layer", cfg.layers - 1)) % cfg.layers
    st.caption(f"The model being trained (step {G.weights_step(tr):,}): {CELL_LABELS[cfg.cell]}, "
               f"{cfg.layers} × "
               f"{cfg.hidden} units, {cfg.bits}-bit sums. Sum: {a} + {b} = {a + b}; loss on it "
               f"{g.loss:.4g} ({LOSS_LABELS[cfg.loss]}).")
    left, right = st.columns([1.4, 1], gap="medium")
    with left:
        if g.has_deltas:
            what = G.ss().get(P + "what", "dh")
            d = (g.dh if what == "dh" else g.dpre)[layer][:, 0, :].T  # (H, T)
            symbol = "dL/dh" if what == "dh" else "δ"
            live_chart(F.delta_heatmap(d, f"{WHAT_LABELS[what].split(' (')[0]} of layer {layer + 1}, "
                                          f"{SOURCE_LABELS[source]} error", symbol=symbol,
                                       revision=f"delta{cfg}"), key=P + "delta_chart")
        else:
            st.info(f"Per-unit gradients are drawn for the vanilla RNN, whose backpropagation the tutorials "
                    f"derive by hand. For this {CELL_LABELS[cfg.cell]} the chart shows how much error "
                    "reaches each step.", icon=":material/info:")
    with right:
        live_chart(F.step_norm_figure(g.dh_norm, "Size of the gradient reaching each step",
                                      revision=f"sum{cfg}"), key=P + "sum_norm_chart")
    present.caption(
        "Read it from the right: the last bit gets only its own output's error. Going left, each step adds "
        "its own output's error to what comes back from the step after it, multiplied by the recurrent "
        "weights and the activation's slope. With only the last bit's error sent back, the bars show how "
        "fast that signal fades (or grows) with every step it travels.")


@live.view(every=2, drive=False)
def training_norm_view():
    with st.spinner("Sending a batch's error back through time…"):
        norms, where = G.training_norms()
    left, right = st.columns([1.6, 1], gap="medium", vertical_alignment="center")
    with left:
        live_chart(F.step_norm_figure(norms, "Gradient reaching each step while training",
                                      revision=f"train{G.session().revision}"), key=P + "train_norm_chart")
    with right:
        present.caption(f"Measured on {where}. Point at the left end: if its bars are orders of magnitude "
                        f"below those on the right, the gradient vanishes and the early bits barely learn "
                        f"from later errors (exploding is the opposite: bars growing to the left). A carry "
                        f"must be remembered from step to step, so it is learned only from the part of the "
                        f"error that gets through. Press Play on the Train page and watch these bars change "
                        "as the network learns.")


with bptt_tab:
    cfg = G.trainer().model.config
    sum_controls(cfg)
    bptt_view()
    st.subheader("During training")
    training_norm_view()


# --- the model's gradient check -------------------------------------------------------------------

def check_controls():
    base = G.check_defaults(G.trainer().config)
    c = st.columns(len(G.CHECK_FIELDS), vertical_alignment="bottom")
    for box, name in zip(c, G.CHECK_FIELDS, strict=True):
        setting_widget(name, G.wkey(name, base[name]), box, on_change=G.keep, args=(name,),
                       disabled=name == "activation" and G.ss()[P + "cell"] != "rnn")
    config, error = G.check_config()
    b1, b2, _ = st.columns([1.2, 1.6, 3])
    b1.button("Run the check", key=P + "run_check", type="primary", icon=":material/fact_check:",
              on_click=G.run_check, disabled=config is None, width="stretch")
    b2.button("Use the model being trained", key=P + "use_model", icon=":material/sync:",
              on_click=G.use_current_model, width="stretch",
              help=f"Its architecture, with at most {G.CHECK_HIDDEN} hidden units.")
    return config, error


with check_tab:
    st.markdown(
        "For every weight, nudge it by ±1e-5, run the network again and divide the change of the loss by the "
        "nudge: that is the gradient measured by brute force. Backpropagation must give the same numbers. "
        f"A parameter passes when the relative error ‖numerical − backprop‖ / (‖numerical‖ + ‖backprop‖) is "
        f"at most {THRESHOLD:g}; in float64 a correct gradient lands around 1e-9 or below.")
    config, error = check_controls()
    if error:
        st.error(f"These settings cannot be checked: {error.rstrip('.')}.", icon=":material/error:")
    shown = G.checked_config()
    if config is not None and config != shown:
        st.info("The table is for the previous settings; press **Run the check** to check these.",
                icon=":material/info:")
    with st.spinner("Nudging every weight…"):
        rows = G.gradient_check(shown)
    bad = [r.name for r in rows if not r.ok]
    worst = max(r.rel_error for r in rows)
    what = (f"{CELL_LABELS[shown.cell]}, {shown.layers} × {shown.hidden} units"
            + (f", {shown.activation}" if shown.cell == "rnn" else "")
            + f", {LOSS_LABELS[shown.loss]}, {'with' if shown.bias else 'no'} biases")
    if bad:
        st.error(f"{len(bad)} of {len(rows)} parameters fail the check ({', '.join(bad)}); worst relative "
                 f"error {worst:.1e}.", icon=":material/cancel:")
    else:
        st.success(f"All {len(rows)} parameters pass: worst relative error {worst:.1e} (threshold "
                   f"{THRESHOLD:g}).", icon=":material/check_circle:")
    with present.fold("The check, parameter by parameter"):
        st.dataframe(F.check_frame(rows), hide_index=True, key=P + "check_table", column_config={
            "relative error": st.column_config.NumberColumn(format="%.2e"),
            "max abs error": st.column_config.NumberColumn(format="%.2e")})
    present.caption(f"Checked: {what}, on {G.CHECK_BATCH} random {G.CHECK_BITS}-bit sums in float64 (biases "
                    f"are moved off zero so that their gradients count). The model being trained is not "
                    "touched.")


# --- reference 004's two-step check ---------------------------------------------------------------

with ref_tab:
    st.markdown(
        "The smallest case, done the way the tutorial does it: one recurrent layer, 3 inputs, 2 units, no "
        "bias, tiny weights from U[−1e-4, 1e-4), two time steps with inputs [1, 2, 3] and [2, 3, 4], and as "
        "the loss simply the **sum of the final state**. Each weight's gradient by backpropagation through "
        "time is compared with the central difference (L(w + ε) − L(w − ε)) / 2ε.")
    c = st.columns([1.4, 2, 1.2, 2], vertical_alignment="bottom")
    c[0].radio("Activation", G.REFERENCE_ACTIVATIONS, key=G.wkey("ref_activation", "identity"),
               on_change=G.keep, args=("ref_activation",), horizontal=True)
    c[1].select_slider("Nudge ε", G.EPS_CHOICES, key=G.wkey("ref_eps", G.EPS_CHOICES[0]), on_change=G.keep,
                       args=("ref_eps",), format_func=lambda e: f"{e:g}",
                       help="The tutorial uses 1e-3.")
    setting_widget("seed", G.wkey("ref_seed", 0), c[2], on_change=G.keep, args=("ref_seed",),
                   help="Draws the weights.")
    chk = G.reference_check(G.ss()[P + "ref_activation"], int(G.ss()[P + "ref_seed"]),
                            float(G.ss()[P + "ref_eps"]))
    if chk.max_abs_error <= 1e-8:
        st.success(f"Every weight agrees (largest difference {chk.max_abs_error:.1e}).",
                   icon=":material/check_circle:")
    else:
        worst = max(chk.rows, key=lambda r: r.abs_error)
        st.warning(
            f"Some weights disagree (largest difference {chk.max_abs_error:.2g}, at {worst.label}). With "
            "ReLU the pre-activations are about 1e-4; nudging an input weight by ε moves them by up to 4ε, "
            "across zero where ReLU bends, so the difference quotient measures a different slope. The "
            "recurrent weights W only move them by ε·h ≈ 1e-4·ε and agree. Try a smaller ε.",
            icon=":material/warning:")
    with present.fold("The weights, states and gradients"):
        left, right = st.columns([1, 1.2], gap="medium")
        with left:
            st.markdown("**Weights** (row = receiving unit)")
            for name, m, cols in (("U", chk.U, ["x0", "x1", "x2"]), ("W", chk.W, ["h0", "h1"])):
                st.dataframe(F.matrix_frame(m, [f"{name} unit 0", f"{name} unit 1"], cols),
                             key=P + "ref_" + name,
                             column_config={k: st.column_config.NumberColumn(format="%.3e") for k in cols})
            st.markdown("**States and deltas** (δ_t = dL/d(pre-activation) at step t)")
            frame = F.states_frame(chk.h, chk.delta)
            numbers = {k: st.column_config.NumberColumn(format="%.4e") for k in frame.columns}
            st.dataframe(frame, key=P + "ref_states", column_config=numbers)
        with right:
            st.markdown(f"**Gradients** (loss = {chk.loss:.6e})")
            st.dataframe(F.reference_frame(chk.rows), hide_index=True, key=P + "ref_table", column_config={
                "numerical": st.column_config.NumberColumn(format="%.6f"),
                "backprop": st.column_config.NumberColumn(format="%.6f"),
                "|difference|": st.column_config.NumberColumn(format="%.1e")})
            st.code("\n".join(r.line() for r in chk.rows), language=None)
    present.caption("With the identity the final state is linear in every weight, so the central difference"
                    " is exact up to rounding: dL/dW(i, j) = h₁(j) for both rows i, since the error "
                    "reaching the final state is 1 for every unit.")

GL.write()
