"""The Sweeps page: define a tiny grid, start it, see its progress, table, heatmaps and figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from runs import Store
from runs.sweep_runner import job
from runs.sweep_store import SweepStore

PAGE = "pages/sweeps/page.py"
TIMEOUT = 180  # seconds for a tiny sweep on a busy 2-core machine


@pytest.fixture
def data(tmp_path, monkeypatch):
    """A fresh data folder, local workers only; every sweep started here is cancelled and waited for."""
    monkeypatch.setenv("RNNLAB_DATA", str(tmp_path))
    monkeypatch.delenv("RNNLAB_DASK", raising=False)
    yield tmp_path
    for info in SweepStore(tmp_path).sweeps():
        running = job(info["id"])
        if running is not None:
            running.cancel()
            assert running.join(60), "the sweep's coordinator ended (its workers with it)"


def define(at, **values):
    for name, text in values.items():
        at.text_input(key=f"sweeps.grid.{name}.w").set_value(text)
    at.number_input(key="sweeps.seeds.w").set_value(1)
    at.number_input(key="sweeps.workers.w").set_value(1)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def started(at) -> int:
    at.button(key="sweeps.start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    sweep_id = at.selectbox(key="sweeps.shown.w").value
    running = job(sweep_id)
    assert running is not None and running.join(TIMEOUT), "the sweep finished in time"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return sweep_id


def chart(at, key):
    (c,) = [c for c in at.get("plotly_chart") if c.key == key]
    return json.loads(c.proto.spec)


def test_the_page_counts_a_grids_runs_before_it_starts(data, page):
    define(page, cell="rnn,gru", hidden="4,8,16", lr="0.1")
    assert "2 cell x 3 hidden x 1 seed(s) = 6 runs" in page.info[0].value
    assert not page.button(key="sweeps.start").disabled


def test_a_bad_value_is_explained_and_nothing_can_start(data, page):
    define(page, hidden="4,zero")
    assert "cannot start" in page.error[0].value and "--hidden" in page.error[0].value
    assert page.button(key="sweeps.start").disabled
    define(page, hidden="4,2000")
    assert "1 to 512" in page.error[0].value


def test_a_tiny_grid_runs_into_the_store_with_its_table_and_heatmaps(data, page):
    define(page, cell="rnn", hidden="4,8", lr="0.1", steps="40")
    sweep_id = started(page)
    assert "2 of 2 runs finished" in page.get("progress")[0].proto.text
    table = page.dataframe[0].value
    assert sorted(table["hidden"]) == [4, 8]
    assert set(table["state"]) <= {"solved", "finished", "diverged"}
    stored = {r["id"]: r for r in Store(data).list_runs()}
    assert set(table["run"]) == set(stored), "every point is a run in the store"
    for _, row in table.iterrows():
        assert stored[row["run"]]["config"]["hidden"] == row["hidden"]
        assert row["steps_to_solve"] == (stored[row["run"]]["solved_at"] or 40)
    heat = chart(page, "sweeps.heat_steps")["data"][0]
    assert heat["x"] == ["4", "8"] and heat["type"] == "heatmap"
    success = chart(page, "sweeps.heat_success")["data"][0]
    assert all("(1 run)" in t for t in success["text"][0])
    curves = chart(page, "sweeps.curves")["data"]
    assert sorted(c["legendgroup"] for c in curves) == ["4", "8"]
    assert "sweeps.parallel" in {c.key for c in page.get("plotly_chart")}
    links = [link.proto for link in page.get("page_link")]
    assert {p.query_string for p in links} == {f"run={page.selectbox(key='sweeps.open').value}"}
    assert page.selectbox(key="sweeps.shown.w").value == sweep_id


def test_a_sweep_belongs_to_the_server_a_new_visitor_finds_it(data, page):
    define(page, hidden="4", lr="0.1,0.2", steps="20")
    sweep_id = started(page)
    other = AppTest.from_file(Path(__file__).resolve().parents[2] / "streamlit_app.py", default_timeout=60)
    other.run()
    other.switch_page(PAGE).run()
    other.selectbox(key="sweeps.shown.w").set_value(sweep_id).run()
    assert not other.exception
    assert "2 of 2 runs finished" in other.get("progress")[0].proto.text


def test_cancel_keeps_finished_runs_and_resume_trains_the_rest(data, page):
    define(page, hidden="4", lr="0.01,0.02,0.05,0.1", steps="3000")
    page.button(key="sweeps.start").click().run()
    sweep_id = page.selectbox(key="sweeps.shown.w").value
    page.button(key="sweeps.cancel").click().run()
    assert job(sweep_id).join(TIMEOUT), "a cancelled sweep's coordinator ends"
    page.run()
    text = page.get("progress")[0].proto.text
    assert "cancelled" in text
    done = int(text.split(" of ")[0])
    assert done < 4
    before = {p.run_id: (p.state, p.result) for p in SweepStore(data).points(sweep_id)}
    assert sum(r is None for _, r in before.values()) == 4 - done, "untrained runs wait in the store"
    assert f"Resume: train the {4 - done} missing runs" in page.button(key="sweeps.resume").label
    page.button(key="sweeps.resume").click().run()
    assert job(sweep_id).join(TIMEOUT)
    page.run()
    assert "4 of 4 runs finished" in page.get("progress")[0].proto.text
    after = {p.run_id: (p.state, p.result) for p in SweepStore(data).points(sweep_id)}
    assert set(after) == set(before), "resume trains the same runs, adding none"
    assert all(after[i] == before[i] for i, (_, r) in before.items() if r is not None), "finished runs kept"


def test_a_tiny_search_proposes_within_its_ranges_and_draws_optunas_figures(data, page):
    page.radio(key="sweeps.kind.w").set_value("search").run()
    for name, text in {"cell": "rnn", "hidden": "4:8", "lr": "0.01:0.3:log", "steps": "40"}.items():
        page.text_input(key=f"sweeps.search.{name}.w").set_value(text)
    page.number_input(key="sweeps.trials.w").set_value(3)
    page.number_input(key="sweeps.workers.w").set_value(1)
    page.run()
    assert "3 trials over hidden, lr = 3 runs" in page.info[0].value
    started(page)
    table = page.dataframe[0].value
    assert len(table) == 3
    assert table["hidden"].between(4, 8).all() and table["lr"].between(0.01, 0.3).all()
    keys = {c.key for c in page.get("plotly_chart")}
    assert {"sweeps.parallel", "sweeps.contour"} <= keys
    contour = chart(page, "sweeps.contour")
    assert any(t["type"] == "contour" for t in contour["data"])
