"""Unrolled: step through one sum a time step at a time, and see where the network keeps the carry."""

import streamlit as st

from engine.analysis.explain import explain_step, unroll_sum
from pages.unrolled import analyses as A
from pages.unrolled import arithmetic as AR
from pages.unrolled import figures as F
from pages.unrolled import link as UL
from pages.unrolled import state as U
from pages.unrolled import truth_table as TT
from ui import live, page_link, predictions, present
from ui.live_chart import live_chart
from ui.sums import fmt_bits
from ui.theme import state_range

K = U.P  # widget keys of this page start with "unrolled."


# --- sidebar: which model ---------------------------------------------------------------------------

def model_panel():
    with st.sidebar:
        st.subheader("Model to look at")
        options = [U.TRAINED, U.EXAMPLE,
                   *([U.LOADED] if U.loaded() else [])]
        wanted = U.ss().get(K + "source")
        U.choose_source(U.source())
        labels = {U.TRAINED: "the one being trained", U.EXAMPLE: U.EXAMPLE_LABEL}
        st.radio("Model", options, key=U.bind("source", U.TRAINED), on_change=U.keep, args=("source",),
                 format_func=lambda s: labels.get(s) or f"loaded: {U.loaded().name}",
                 label_visibility="collapsed")
        if wanted == U.EXAMPLE and U.source() != U.EXAMPLE:
            st.error(U.example_error(), icon=":material/error:")
        st.file_uploader(f"Load a model (.npz, up to {U.MAX_UPLOAD_MB} MB)", type=["npz"], key=K + "upload",
                         max_upload_size=U.MAX_UPLOAD_MB, on_change=U.upload_changed,
                         help="A model saved from the Train page (Download the model).")
        kind, text = U.load_message()
        if kind == "error":
            st.error(text, icon=":material/error:")
        elif kind == "success" and U.source() == U.LOADED:
            st.success(text, icon=":material/check_circle:")
        model, _ = U.current_model()
        if model.config.layers > 1:
            st.selectbox("Layer", list(range(model.config.layers)),
                         key=U.bind("layer", model.config.layers - 1), on_change=U.keep, args=("layer",),
                         format_func=lambda l: f"layer {l + 1}")
        st.toggle("Sort units by carry correlation", key=U.bind("sort", True), on_change=U.keep,
                  args=("sort",), help="Rows of the heatmaps ordered by how closely each unit follows "
                                       "the carry; ★ marks the units that follow it best.")
        st.toggle("Most significant bit on the left", key=U.bind("msb", False), on_change=U.keep,
                  args=("msb",), help="Draw the grids and write the sums as people write numbers. Off, "
                                      "they run in the network's order: bit 0 first, time to the right.")


# --- the sum and the stepper ----------------------------------------------------------------------

def sum_controls(train_bits: int):
    c_a, c_b, c_w, c_r, c_h = st.columns([1.6, 1.6, 1.2, 1.6, 3], vertical_alignment="bottom")
    c_a.text_input("a", key=U.bind("a", "0"), on_change=U.keep, args=("a",),
                   help="A whole number, or binary starting with 0b (e.g. 0b0111_1111).")
    c_b.text_input("b", key=U.bind("b", "0"), on_change=U.keep, args=("b",))
    c_w.selectbox("Width (bits)", U.width_options(train_bits), key=U.bind("bits", train_bits),
                  on_change=U.keep, args=("bits",),
                  help=f"Trained on {train_bits} bits; the same weights run on any width.")
    c_r.button("Random", key=K + "random", on_click=U.pick_random, icon=":material/casino:",
               width="stretch")
    return c_h


def case_picker(container, model, bits: int):
    with st.spinner("Looking for sums the network gets wrong…"):
        options = A.case_options(model, bits)
    container.selectbox(
        "Hard cases", list(options), index=None, key=K + "case", on_change=U.pick_case,
        placeholder="Pick a sum with a long carry chain…",
        format_func=lambda p: f"{fmt_bits(p[0], bits)} + {fmt_bits(p[1], bits)}  ({options[p]})")


def stepper(T: int):
    cols = st.columns([1, 1, 1, 1, 2, 4], vertical_alignment="center")  # the last one stays empty
    cols[0].button(":material/first_page:", key=K + "first", on_click=U.move, kwargs={"to": 0, "T": T},
                   help="First step (least significant bit)", width="stretch")
    cols[1].button(":material/chevron_left:", key=K + "prev", on_click=U.move, kwargs={"delta": -1, "T": T},
                   help="Previous step", width="stretch")
    cols[2].button(":material/chevron_right:", key=K + "next", on_click=U.move, kwargs={"delta": 1, "T": T},
                   help="Next step", width="stretch")
    cols[3].button(":material/last_page:", key=K + "last", on_click=U.move, kwargs={"to": T - 1, "T": T},
                   help="Last step (most significant bit)", width="stretch")
    cols[4].toggle("Autoplay", key=U.bind("autoplay", False), on_change=U.keep, args=("autoplay",),
                   help="Move one step every second or so, round and round.")


# --- live views -----------------------------------------------------------------------------------

def unit_view(model, layer: int):
    """(unit order, starred units, correlations) for the heatmap rows."""
    rep = A.report(model, layer)
    corr = rep.correlation
    order = corr.ranking if U.ss().get(K + "sort", True) else range(model.config.hidden)
    return list(order), list(corr.strong(min_abs=0.5)[:3]) or [corr.best], corr.r, rep


def msb_left() -> bool:
    return bool(U.ss().get(K + "msb", False))


def unrolled_view():
    model, about = U.current_model()
    bits = U.width()
    pair, error = U.chosen_sum(bits)
    if error:
        st.error(error, icon=":material/error:")
        return
    T = bits
    U.autoplay_tick(T)
    t = U.step_now(T)
    layer = int(U.ss().get(K + "layer", model.config.layers - 1)) % model.config.layers
    u = unroll_sum(model, pair[0], pair[1], bits)
    order, marked, r, _ = unit_view(model, layer)
    rows = predictions.predict(model, [pair], bits)
    table = predictions.table_html(rows, msb_first=msb_left())
    if not present.on():  # presenting, the picture comes first and the numbers under it
        st.html(table)
    st.caption(f"Model {about}. Step **{t}** of {T - 1}: bit {t} (worth 2^{t}); "
               "the red outline follows the step in every view.")
    L, cfg = u.layers[layer], model.config
    extras = {label: getattr(L, key) for label, key in F.HIDDEN_EXTRAS.get(model.config.cell, [])}
    fig = F.unrolled_figure(u.a_bits, u.b_bits, u.carry_in, L.h, u.prob, u.pred, u.sum_bits, u.carry_out,
                            u.wrong, step=t, unit_order=order, marked=marked,
                            zrange=state_range(cfg.activation, cfg.cell), extras=extras, r=r,
                            msb_left=msb_left(), revision=f"unrolled-{bits}")
    live_chart(fig, key=K + "unrolled_chart")
    if present.on():
        st.html(table)

    e = explain_step(model, u.batch, t, 0, trace=u.trace)
    st.markdown(f"#### The arithmetic of step {t}")
    top = layer == model.config.layers - 1
    x = e.layers[layer].input
    what = ("the input vector x = [a bit, b bit] = "
            f"[{x[0]:.0f}, {x[1]:.0f}]" if layer == 0 else f"layer {layer}'s state h")
    st.markdown(f"Layer {layer + 1} reads {what}"
                + (f" (the carry coming in is {e.truth['carry_in']})" if layer == 0 else "") + ".")
    frame = AR.arithmetic_frame(e.layers[layer], model.config.cell, order, marked,
                               e.readout["Why"] if top else None, e.readout["contrib"] if top else None, r)
    with present.fold("The numbers of this step, unit by unit"):
        numbers = {c: st.column_config.NumberColumn(format="%.3f") for c in frame.columns[1:]}
        st.dataframe(frame, hide_index=True, key=K + "arith_table", height=min(38 + 35 * len(frame), 420),
                     column_config=numbers)
    source = "" if top else f" (from the top layer, layer {model.config.layers})"
    st.markdown(f"Read-out{source}: " + AR.readout_text(e.readout, e.truth) + ".")


def carry_view():
    model, _ = U.current_model()
    bits = U.width()
    pair, error = U.chosen_sum(bits)
    layer = int(U.ss().get(K + "layer", model.config.layers - 1)) % model.config.layers
    with st.spinner("Reading the hidden states…"):
        rep = A.report(model, layer)
    corr, probe = rep.correlation, rep.probe
    t = U.step_now(bits)
    u = unroll_sum(model, pair[0], pair[1], bits) if pair else None
    left, right = st.columns(2)
    with left:
        marked = list(corr.strong(min_abs=0.5)[:3]) or [corr.best]
        live_chart(F.correlation_figure(corr.r, corr.ranking, marked), key=K + "corr_chart")
        present.caption(f"Unit {corr.best} follows the carry best (r = {corr.r[corr.best]:+.2f}). The carry "
                        "here is the one going out of each column: after step t the state is all that "
                        "reaches step t + 1, so that is what it must remember.")
    with right:
        at = A.measured_at(f"report{layer}")
        if rep.sample is not None and rep.sample.sampled:
            st.caption(f"A large model: these analyses use a sample of {rep.sample.sums:,} of the "
                       f"{rep.sample.wanted:,} evaluation sums, as many as fit in about "
                       f"{rep.sample.seconds:g} s.")
        if at is not None and U.is_live():
            st.caption(f"Analyses of the weights at training step {at:,}, remeasured every few seconds.")
        m1, m2 = st.columns(2)
        m1.metric("Linear probe reads the carry", f"{100 * probe.test_acc:.1f}%",
                  help="A logistic regression fitted on the hidden states of half the evaluation sums, "
                       "scored on the other half.")
        m2.metric("From the current bits alone", f"{100 * probe.baseline_acc:.1f}%",
                  help="The best guess of the carry from a's and b's bit at this step, without memory.")
        if U.source() == U.TRAINED:
            tracker = A.probe_series()
            live_chart(F.probe_curve_figure(tracker.steps, tracker.accuracy, probe.baseline_acc,
                                            revision=U.session().revision), key=K + "probe_chart")
            present.caption("Measured on a sample of sums every few seconds while the model trains, on any "
                            "page.")
    left, right = st.columns(2)
    with left:
        st.markdown("**The full adder's truth table**, and what the network does in each row "
                    "over every position of the evaluation sums")
        current = None
        if u is not None:
            current = int(u.a_bits[t]) * 4 + int(u.b_bits[t]) * 2 + int(u.carry_in[t])
        with present.fold("The truth table, row by row"):
            st.table(TT.highlight_row(TT.truth_frame(rep.truth), current))
        present.caption("The shaded row is the current step's combination. The sum bit is a XOR b XOR carry "
                        "in; the carry out is 1 when at least two of them are 1.")
    with right:
        path = rep.projection.project(u.layers[layer].h.T) if u is not None else None
        live_chart(F.pca_figure(rep.projection.points, rep.projection.carry, rep.projection.explained,
                                path=path, step=t), key=K + "pca_chart")
        present.caption("Each dot is the hidden state after one step of one sum. Two clouds, one per carry "
                        "value, mean the network has built the two states of an adder. The line is this sum.")


def length_view():
    model, _ = U.current_model()
    bar = st.empty()
    curve = A.length_curve(model, lambda done, total: bar.progress(
        done / total, text=f"Measuring accuracy at {total} widths: {done} done…"))
    bar.empty()
    live_chart(F.length_figure(curve.widths, curve.exact_acc, curve.bit_acc, curve.train_bits,
                               current=U.width()), key=K + "length_chart")
    at = A.measured_at("length")
    when = f" Measured at training step {at:,}; while training runs it is remeasured every few seconds." \
        if at is not None and U.is_live() else ""
    if curve.exact_acc.min() >= 1.0:
        present.caption(f"Every sampled sum is right at every width up to 64 bits: the network learned the "
                   f"adding rule, not {curve.train_bits}-bit answers.{when}")
    else:
        present.caption(f"Exact sums: {100 * curve.exact_acc[0]:.1f}% at {curve.train_bits} bits, "
                   f"{100 * curve.exact_acc[-1]:.1f}% at {int(curve.widths[-1])} bits "
                   f"({int(curve.pairs[-1])} sampled sums per width). A network that learned to carry "
                   f"stays exact however long the numbers get.{when}")
    if curve.sampled:
        lo, hi = int(curve.pairs.min()), int(curve.pairs.max())
        sums = f"{hi:,}" if lo == hi else f"{lo:,} to {hi:,}"
        total = len(curve.plan.all_widths)
        widths = f" at {len(curve.widths)} of the {total} widths" if curve.thinned else ""
        st.caption(f"A large model: measured on {sums} sums per width{widths}, as many as fit in about "
                   f"{curve.plan.sample.seconds:g} s.")


# --- the page -------------------------------------------------------------------------------------

linked = UL.read_before_widgets()
model_panel()
model, _ = U.current_model()
train_bits = model.config.bits
U.init_sum(train_bits)
UL.apply_sum(linked, train_bits)
page_link.show_warnings(UL.PAGE)

st.markdown(
    "The network adds the way you would on paper: one column per time step, least significant bit first, "
    "carrying a 1 when a column overflows. Its hidden state is the only thing that passes from one column "
    "to the next, so the carry has to live there. Pick a sum, step through it, and look for it.")
case_box = sum_controls(train_bits)
case_picker(case_box, model, U.width())
stepper(U.width())
UL.write()

autoplay = U.autoplay_interval()  # the stepper's own timer while training is paused
live.view(unrolled_view, every=2, idle_every=autoplay)()

st.subheader("Where the carry lives")
live.view(carry_view, every=10, idle_every=autoplay)()

st.subheader("Longer numbers, same weights")
live.view(length_view, every=30)()
