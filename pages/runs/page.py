"""Runs: every stored run, filtered, compared, opened in the other pages, downloaded or deleted."""

import pandas as pd
import streamlit as st

from engine import schema
from pages.runs import figures as F
from pages.runs import state as R
from runs import STATES, catalog
from runs.store import ORIGINS
from ui import live

P, W = R.P, R.W

st.markdown(
    "Every run this server has stored: the Train page's runs, sweeps' runs and uploads. Filter them, pick "
    "some to compare their curves and settings, open one in the Train, Unrolled or Gradients page, download "
    "its weights or history (also while it trains) or delete it.")

f1, f2, f3 = st.columns(3)
states = f1.multiselect("State", STATES, key=W.bind("states", []), on_change=W.keep, args=("states",),
                        placeholder="any state")
cells = f2.multiselect("Cell", R.CELLS, key=W.bind("cells", []), on_change=W.keep, args=("cells",),
                       format_func=schema.BY_NAME["cell"].show, placeholder="any cell")
origins = f3.multiselect("Made by", ORIGINS, key=W.bind("origins", []),
                         on_change=W.keep, args=("origins",), placeholder="anywhere")


def run_table(shown: list[dict]) -> None:
    df = pd.DataFrame([catalog.summary_row(r) for r in shown], columns=catalog.SUMMARY_COLUMNS)
    df["started"] = pd.to_datetime(df["started"], unit="s", utc=True)
    df = df.astype({"step": "Int64", "steps_budget": "Int64", "solved_at": "Int64"})  # None shows empty
    st.dataframe(df, hide_index=True, key=P + "table", column_config={
        "id": st.column_config.TextColumn("run"),
        "lr": st.column_config.NumberColumn("lr", format="%.4g"),
        "step": st.column_config.NumberColumn("steps", format="localized"),
        "steps_budget": st.column_config.NumberColumn("budget", format="localized"),
        "best_exact": st.column_config.ProgressColumn("best exact", format="percent", min_value=0,
                                                      max_value=1),
        "solved_at": st.column_config.NumberColumn("solved at step", format="localized"),
        "started": st.column_config.DatetimeColumn("started (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    })


def run_actions(run: dict) -> None:
    """One chosen run: what it is, where to open it, its downloads and Delete."""
    run_id = run["id"]
    with st.container(border=True, key=f"{P}run_{run_id}"):
        best = "–" if run["best_exact"] is None else f"{100 * run['best_exact']:.1f}%"
        solved = "" if run["solved_at"] is None else f", solved at step {run['solved_at']:,}"
        st.markdown(f"**{R.label(run)}** — step {run['step']:,} of {run['config']['steps']:,}, best exact "
                    f"{best}{solved}; started {R.when(run.get('started') or run['created'])}")
        if run["message"]:
            st.caption(run["message"])
        cols = st.columns([1, 1, 1, 1.6, 1.6, 1])
        for col, (name, title, icon) in zip(cols, R.PAGES, strict=False):
            col.page_link(R.page_path(name), label=title, icon=icon, query_params={"run": run_id},
                          help=f"Open run {run_id} in the {title} page.")
        cols[3].download_button("Weights (.npz)", data=lambda: R.weights(run_id),
                                file_name=f"run-{run_id}.npz",
                                mime="application/octet-stream", key=f"{P}npz_{run_id}", on_click="ignore",
                                icon=":material/download:", width="stretch",
                                help="The latest weights (about twice a second while it trains).")
        cols[4].download_button("History (.csv)", data=lambda: R.history(run_id),
                                file_name=f"run-{run_id}.csv", mime="text/csv", key=f"{P}csv_{run_id}",
                                on_click="ignore", icon=":material/table_view:", width="stretch",
                                help="Loss and gradient norm per step, accuracy at every evaluation.")
        cols[5].button("Delete", key=f"{P}delete_{run_id}", icon=":material/delete:", on_click=R.ask_delete,
                       args=(run_id,), disabled=catalog.is_active(run), width="stretch",
                       help="Pause or stop it first." if catalog.is_active(run) else "Delete this run.")
        if R.deleting() == run_id:
            st.warning(f"Delete run {run_id} with its history and weights? This cannot be undone.",
                       icon=":material/delete:")
            c1, c2, _ = st.columns([1, 1, 4])
            c1.button("Yes, delete it", key=f"{P}confirm_{run_id}", type="primary", on_click=R.delete,
                      args=(run_id,))
            c2.button("Keep it", key=f"{P}keep_{run_id}", on_click=R.keep)


def compare(runs: list[dict]) -> None:
    """Two or more runs: their curves together and their settings side by side."""
    st.subheader(f"{len(runs)} runs compared")
    loss, exact = R.curves(runs)
    c1, c2 = st.columns(2)
    c1.plotly_chart(F.loss_figure(loss), key=P + "loss_chart")
    c2.plotly_chart(F.accuracy_figure(exact), key=P + "accuracy_chart")
    rows = catalog.compare_settings(runs)
    only = st.toggle("Only the settings that differ", key=W.bind("only_diff", False), on_change=W.keep,
                     args=("only_diff",))
    shown = [r for r in rows if r["differs"] or not only]
    table = pd.DataFrame({"setting": [r["label"] for r in shown],
                          "differs": ["≠" if r["differs"] else "" for r in shown],
                          **{run["id"]: [R.shown_value(r["setting"], r["values"][i]) for r in shown]
                             for i, run in enumerate(runs)}})
    marked = table.style.apply(lambda row: [R.DIFFERS_STYLE if row["differs"] else ""] * len(row), axis=1)
    st.dataframe(marked, hide_index=True, key=P + "settings", height="content")
    st.caption("Settings marked ≠ (and highlighted) differ between the chosen runs; the learning rate is "
               "each run's current one.")


@live.view(drive=False, every=30, idle_every=R.REFRESH_S)
def body() -> None:
    if (note := R.notice()) is not None:
        (st.success if note[0] == "success" else st.error)(note[1])
    runs = R.all_runs()
    shown = catalog.filter_runs(runs, states, cells, origins)
    if not runs:
        st.info("No runs are stored yet. Train one on the Train page (or start a sweep) and it shows here.",
                icon=":material/info:")
        return
    head, dl = st.columns([4, 1])
    head.caption(f"{len(shown):,} of {len(runs):,} runs shown, newest first.")
    dl.download_button("Table (.csv)", data=lambda: R.table_csv(shown), file_name="runs.csv", mime="text/csv",
                       key=P + "table_csv", on_click="ignore", icon=":material/download:", width="stretch",
                       help="The table as shown (filters applied).")
    run_table(shown)
    by_id = {r["id"]: r for r in shown}
    picked = st.multiselect("Runs to look at", list(by_id), key=R.chosen(list(by_id)), on_change=W.keep,
                            args=("chosen",), format_func=lambda i: R.label(by_id[i]),
                            placeholder="choose one run to open or download, two or more to compare")
    for run_id in picked:
        run_actions(by_id[run_id])
    if len(picked) >= 2:
        compare([by_id[i] for i in picked])


body()
