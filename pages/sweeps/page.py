"""Sweeps: grids and searches of settings, trained by the server, compared at a glance."""

import pandas as pd
import streamlit as st

from pages.sweeps import figures as F
from pages.sweeps import state as S
from runs import results
from runs.executors import default_workers
from runs.sweep import MAX_RUNS, SETTINGS
from ui import live

W, P = S.W, S.P
PAGES = (("pages/train/page.py", "Train", ":material/model_training:"),
         ("pages/unrolled/page.py", "Unrolled", ":material/view_week:"),
         ("pages/gradients/page.py", "Gradients", ":material/trending_down:"))

st.markdown(
    "Which settings learn addition reliably and fast? A **grid** trains every combination of the values you "
    "list, once per seed; a **search** lets Optuna's TPE sampler choose values within ranges, looking for "
    "the fewest steps to solve. The server trains the runs in worker processes: closing this tab does not "
    "stop a sweep, and every finished run is kept.")

known = {info["id"]: info for info in S.sweeps()}
if st.session_state.get(P + "shown", S.NEW) not in (S.NEW, *known):  # a sweep of another data folder
    W.put("shown", S.NEW)
shown = st.selectbox("Sweep", [S.NEW, *known], key=W.bind("shown", S.NEW), on_change=W.keep, args=("shown",),
                     format_func=lambda i: S.sweep_label(i if i == S.NEW else known[i]))
if (why := S.error()) is not None:
    st.error(why, icon=":material/error:")


def definition() -> None:
    kind = st.radio("Kind", list(S.KINDS), format_func=S.KINDS.get, key=W.bind("kind", "grid"),
                    horizontal=True, on_change=W.keep, args=("kind",))
    names = st.multiselect("Settings to set or vary", SETTINGS, key=W.bind("names", list(S.DEFAULTS)),
                           format_func=S.LABELS.get, on_change=W.keep, args=("names",),
                           help="Every other setting is the fast preset's.")
    cols = st.columns(4)
    for i, name in enumerate(names):
        cols[i % 4].text_input(S.LABELS[name], key=S.value_key(name, kind), help=S.value_hint(name, kind),
                               on_change=W.keep, args=(f"{kind}.{name}",))
    c1, c2, c3 = st.columns(3)
    if kind == "grid":
        c1.number_input("Seeds per point", 1, 100, key=W.bind("seeds", 2), on_change=W.keep, args=("seeds",))
    else:
        c1.number_input("Trials", 1, MAX_RUNS, key=W.bind("trials", 12), on_change=W.keep, args=("trials",))
    workers = c2.number_input("Worker processes", 1, 64, key=W.bind("workers", default_workers()),
                              on_change=W.keep, args=("workers",),
                              help="Local processes training points at once (a Dask cluster when "
                                   "RNNLAB_DASK is set).")
    c3.checkbox("Stop each run when solved", key=W.bind("stop_when_solved", True), on_change=W.keep,
                args=("stop_when_solved",), help="Off: every run uses its whole step budget.")
    spec, why = S.define(kind, names)
    if spec is None:
        st.error(f"This {kind} cannot start: {why}.", icon=":material/error:")
    else:
        st.info(f"This {kind} makes {spec.describe()} (at most {MAX_RUNS:,}).", icon=":material/calculate:")
    st.button(f"Start the {kind}", key=P + "start", type="primary", icon=":material/play_arrow:",
              disabled=spec is None, on_click=S.start, args=(spec, int(workers)))


def progress(sweep_id: int, status: dict) -> None:
    left = status["time_left"]
    eta = f", about {left:,.0f} s left" if left is not None and status["state"] == "running" else ""
    st.progress(status["fraction"], text=f"{status['done']:,} of {status['total']:,} runs finished{eta} · "
                                         f"{status['state']}")
    if status["error"]:
        st.error(f"The sweep stopped: {status['error']}. Finished runs are kept; Resume trains the rest.")
    if status["state"] == "running":
        st.button("Cancel", key=P + "cancel", icon=":material/stop:", on_click=S.cancel, args=(sweep_id,),
                  help="Stop handing out runs; finished runs are kept and Resume trains the rest.")
    elif status["missing"]:
        st.button(f"Resume: train the {status['missing']:,} missing runs", key=P + "resume",
                  icon=":material/play_arrow:", on_click=S.resume, args=(sweep_id,))


def result_views(sweep_id: int) -> None:
    spec, points = S.results(sweep_id)
    names = S.varied(spec)
    axes = [*names, "seed"]
    label = {**S.LABELS, "seed": "Seed"}
    rows = results.result_rows(points, axes)
    states = st.multiselect("Show runs that are", sorted({r["state"] for r in rows}), key=P + "states",
                            placeholder="in any state")
    table = pd.DataFrame([r for r in rows if not states or r["state"] in states],
                         columns=results.columns(axes))
    table = table.astype({"steps_to_solve": "Int64", "solved_at_step": "Int64", "steps": "Int64"})
    st.dataframe(table.drop(columns=["solved"], errors="ignore"), hide_index=True, key=P + "table",
                 column_config={
                     **{n: st.column_config.Column(label[n]) for n in axes},
                     "steps_to_solve": st.column_config.NumberColumn(
                         "steps to solve", format="localized", help="Unsolved runs count as the budget."),
                     "solved_at_step": st.column_config.NumberColumn("solved at step", format="localized"),
                     "steps": st.column_config.NumberColumn("steps trained", format="localized"),
                     "final_loss": st.column_config.NumberColumn("final loss", format="%.4g"),
                     "exact_accuracy": st.column_config.NumberColumn("exact accuracy", format="percent"),
                     "wall_s": st.column_config.NumberColumn("wall time (s)", format="%.1f")})
    if not any(r["steps_to_solve"] is not None for r in rows):
        st.caption("Figures appear as runs finish.")
        return
    c1, c2 = st.columns(2)
    x = c1.selectbox("Across", axes, key=W.bind(f"x.{sweep_id}", axes[0]), format_func=label.get,
                     on_change=W.keep, args=(f"x.{sweep_id}",))
    y_options = [None, *[a for a in axes if a != x]]
    y = c2.selectbox("Down", y_options, format_func=lambda n: "nothing (one row)" if n is None else label[n],
                     index=1 if len(y_options) > 1 else 0, key=P + f"y.{sweep_id}.{x}")
    summary = results.grid_summary(rows, x, y)
    h1, h2 = st.columns(2)
    h1.plotly_chart(F.heatmap_figure(summary["x"], summary["y"], summary["median_steps"], summary["count"],
                                     "Median steps to solve (unsolved count as the budget)", label[x],
                                     label.get(y), ",.0f", "Blues_r"), key=P + "heat_steps")
    h2.plotly_chart(F.heatmap_figure(summary["x"], summary["y"], summary["success"], summary["count"],
                                     "Success rate (runs solved)", label[x], label.get(y), ".0%", "Greens",
                                     zrange=(0, 1)), key=P + "heat_success")
    if hasattr(spec, "ranges"):
        st.caption("A search tries values anywhere in its ranges, so most cells above hold one run or none; "
                   "the contour plot below smooths over them.")
    by = st.selectbox("Colour the curves by", axes, key=W.bind(f"by.{sweep_id}", axes[0]),
                      format_func=label.get, on_change=W.keep, args=(f"by.{sweep_id}",))
    st.plotly_chart(F.curves_figure(results.curves(points, by, S.history), label[by]), key=P + "curves")
    study = results.study_of(spec, points)
    if study is not None:
        figs = F.optuna_figures(study, names, label)
        st.plotly_chart(figs["parallel"], key=P + "parallel")
        o1, o2 = st.columns(2)
        for col, name in zip((o1, o2), ("importance", "contour"), strict=True):
            if name in figs:
                col.plotly_chart(figs[name], key=P + name)
    finished = [r["run"] for r in rows if r["steps_to_solve"] is not None]
    run = st.selectbox("Open a run", finished, key=P + "open", format_func=lambda i: f"run {i}")
    cols = st.columns(6)
    for col, (page, title, icon) in zip(cols, PAGES, strict=False):
        col.page_link(page, label=title, icon=icon, query_params={"run": str(run)},
                      help=f"Open run {run} in the {title} page.")


if shown == S.NEW:
    definition()
else:
    running = S.status(shown)["state"] == "running"

    @live.view(drive=False, every=20, idle_every=S.REFRESH_S if running else None)
    def sweep_view() -> None:
        status = S.status(shown)
        if running and status["state"] != "running":
            st.rerun()  # the sweep ended: draw the page once more, without a timer
        progress(shown, status)
        result_views(shown)

    sweep_view()
