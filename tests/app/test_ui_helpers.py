"""The UI's pure helpers: link parsing, chart building, predictions, downloads."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from engine import PRESETS, Config, Trainer, checkpoint
from pages.train import figures
from ui import downloads, predictions, theme
from ui import link as query
from ui.sums import default_sum, fmt_bits, parse_sum


@pytest.mark.parametrize("config", [Config(), *PRESETS.values(),
                                    Config(lr=0.0003, clip=2.5, bias=False, seed=2**32 - 1, bits=16)])
def test_link_round_trips_every_field(config):
    parsed, warnings = query.from_params(query.to_params(config))
    assert parsed == config.normalised()
    assert warnings == []


def test_plain_visit_means_defaults_without_warnings():
    assert query.from_params({}) == (Config(), [])
    assert query.from_params({"a": "5", "b": "7"}) == (Config(), [])  # another page's parameters


@pytest.mark.parametrize(("name", "text"), [
    ("hidden", "0"), ("hidden", "1e3"), ("hidden", "16.5"), ("layers", "9"), ("bits", "1"), ("bits", "65"),
    ("lr", "0"), ("lr", "nan"), ("lr", "inf"), ("lr", "101"), ("seed", "-1"), ("cell", "cnn"),
    ("bias", "maybe"), ("keep_prob", "0"), ("algorithm", ""), ("hidden", "٣"), ("hidden", "²"),
])
def test_each_bad_value_falls_back_to_its_default_with_a_warning(name, text):
    params = query.to_params(Config()) | {name: text}
    parsed, warnings = query.from_params(params)
    assert getattr(parsed, name) == getattr(Config(), name)
    assert len(warnings) == 1 and name in warnings[0] and "default" in warnings[0]


def test_fields_a_link_leaves_out_take_their_defaults_silently():
    assert query.from_params({"hidden": "8", "lr": "0.01"}) == (Config(hidden=8, lr=0.01), [])


def test_unknown_parameters_are_reported():
    parsed, warnings = query.from_params({"hidden": "8", "colour": "red"})
    assert parsed == Config(hidden=8)
    assert warnings == ["Ignored unknown link parameter(s): colour."]


def test_a_refused_value_names_the_field_cuts_the_value_and_gives_the_range_in_plain_numbers():
    _, warnings = query.from_params({"seed": "9" * 100_000})
    assert warnings == ["Seed (seed): '" + "9" * 40 + "…' is not allowed; it takes a whole number from 0 to "
                        "4,294,967,295; using the default 0."]
    _, warnings = query.from_params({"lr": "0"})
    assert warnings == ["Learning rate (lr): '0' is not allowed; it takes a number from 0.00001 to 100; "
                        "using the default 0.05."]


def test_a_link_too_heavy_to_train_live_is_refused_by_the_cost_rule():
    heavy = Config(cell="lstm", hidden=512, layers=4, bits=64, batch=4096)
    assert heavy.validate() is heavy  # the engine allows it ...
    parsed, warnings = query.from_params(query.to_params(heavy))
    assert parsed == Config()  # ... the app does not train it live, and says why
    assert len(warnings) == 1 and "live training budget" in warnings[0] and "estimated cost" in warnings[0]
    assert "limit 500,000,000" in warnings[0]


def test_classic_link_with_a_batch_falls_back_to_the_batched_trainer():
    params = query.to_params(PRESETS["classic"]) | {"batch": "64"}
    parsed, warnings = query.from_params(params)
    assert parsed.algorithm == "batched" and parsed.batch == 64
    assert any("batched trainer" in w for w in warnings)


def test_hand_made_classic_link_gives_the_classic_loop_with_its_learning_rate():
    parsed, warnings = query.from_params({"algorithm": "classic", "lr": "0.1"})
    assert parsed == Config(algorithm="classic", lr=0.1).normalised()
    assert parsed.batch == 1 and parsed.activation == "sigmoid" and parsed.lr == 0.1
    assert not any("batched trainer" in w for w in warnings)


def test_bad_value_in_a_classic_link_falls_back_to_the_classic_loops_value():
    parsed, warnings = query.from_params(query.to_params(PRESETS["classic"]) | {"batch": "many"})
    assert parsed == PRESETS["classic"]
    assert len(warnings) == 1 and "using the default 1." in warnings[0]


def test_downsample_keeps_short_series_and_averages_long_ones():
    x = np.arange(1, 11.0)
    assert all(np.array_equal(a, b) for a, b in zip(theme.downsample(x, x), (x, x), strict=True))
    sx, sy = theme.downsample(np.arange(1, 100_001.0), np.ones(100_000), max_points=2000)
    assert len(sx) == len(sy) == 2000 and sx[-1] == 100_000 and np.allclose(sy, 1.0)


def test_downsample_ignores_non_finite_values_in_a_bucket():
    _, y = theme.downsample(np.arange(4.0), np.array([1.0, np.nan, 3.0, np.inf]), max_points=2)
    assert y.tolist() == [1.0, 3.0]


def test_charts_keep_zoom_across_updates_and_draw_gaps_for_overflow():
    fig = figures.loss_figure(np.arange(1, 4), np.array([1.0, np.inf, 0.5]), revision="run-1")
    assert fig.layout.uirevision == "run-1"
    assert fig.layout.yaxis.type == "log"
    assert np.isnan(fig.data[0].y[1])
    acc = figures.accuracy_figure(np.arange(3), np.array([0, 0.5, 1]), np.array([0.5, 0.9, 1]))
    assert list(acc.data[0].y) == [0, 50, 100]


def test_heatmap_puts_units_on_rows_and_bits_beneath():
    h = np.arange(12.0).reshape(3, 4)  # 3 units x 4 steps
    fig = figures.hidden_heatmap(h, {"carry": [0, 1, 1, 0]}, unit_order=[2, 0, 1], highlight=1)
    heat, bits = fig.data
    assert list(heat.y) == ["unit 2", "unit 0", "unit 1"]
    assert np.array_equal(heat.z[0], h[2])
    assert list(bits.y) == ["carry"] and bits.yaxis == "y2"
    assert fig.layout.shapes[0].x0 == 0.5


def test_example_sums_fit_the_training_range_and_include_a_long_carry():
    for bits in (2, 4, 8, 16):
        pairs = predictions.example_sums(bits)
        assert 1 <= len(pairs) <= predictions.N_EXAMPLES
        assert all(a < 2 ** (bits - 1) and b < 2 ** (bits - 1) for a, b in pairs)
        assert len(set(pairs)) == len(pairs)
    assert (127, 1) in predictions.example_sums(8)


def test_predictions_mark_wrong_bits():
    untrained = Trainer(Config(seed=3)).model
    rows = predictions.predict(untrained, [(127, 1), (3, 4)], 8)
    assert [r.true_bits for r in rows] == ["10000000", "00000111"]
    assert [r.a_bits for r in rows] == ["01111111", "00000011"]
    html = predictions.table_html(rows)
    wrong = sum(p != t for r in rows for p, t in zip(r.pred_bits, r.true_bits, strict=True))
    assert html.count('class="bad"') == wrong


def test_history_csv_has_a_row_per_step_and_the_evaluations():
    tr = Trainer(Config(eval_every=5))
    tr.advance(12)
    df = pd.read_csv(io.BytesIO(downloads.history_csv(tr.history)))
    assert df["step"].tolist() == list(range(13))
    assert df["exact_acc"].notna().sum() == 3  # steps 0, 5, 10
    assert df.loc[12, "samples"] == 12 * 64


def test_model_download_loads_back():
    tr = Trainer(Config(hidden=4))
    tr.advance(3)
    model = checkpoint.load(io.BytesIO(downloads.model_npz(tr.model)))
    assert all(np.array_equal(model.params[k], v) for k, v in tr.model.params.items())


def test_bits_are_written_grouped_or_in_one_run():
    assert fmt_bits(127, 8) == "0111 1111"
    assert fmt_bits(5, 6) == "00 0101"
    assert fmt_bits(5, 6, group=None) == "000101"


def test_a_typed_sum_is_read_or_refused_with_what_is_allowed():
    assert parse_sum("0b101", " 3 ", 8) == ((5, 3), "")
    assert default_sum(8) == (127, 1)
    pair, error = parse_sum("200", "100", 8)
    assert pair is None and error.startswith("200 + 100 = 300 does not fit in 8 bits")
    assert parse_sum("", "1", 8)[1].startswith("a is empty")


def test_state_colour_range_follows_the_cell_and_activation():
    assert theme.state_range("tanh") == (-1.0, 1.0)
    assert theme.state_range("sigmoid") == (0.0, 1.0)
    assert theme.state_range("relu") is None
    assert theme.state_range("relu", cell="lstm") == (-1.0, 1.0)


def test_live_views_slow_down_with_the_crowd_except_while_a_click_waits_for_the_worker(monkeypatch):
    from types import SimpleNamespace

    from ui import live

    lab = SimpleNamespace(running=True, intent=None, crowd=4.0)
    monkeypatch.setattr(live, "session", lambda: lab)
    assert live.interval(2) == pytest.approx(live.INTERVAL * 2 * 4.0)  # a class shares the server
    lab.intent = "step"  # this tab's Step waits for its worker: it looks at the quiet-server pace
    assert live.interval(2) == pytest.approx(live.INTERVAL * 2)
    lab.running = False
    assert live.interval(2) is None  # nothing trains: no timer


def test_the_solved_label_stays_inside_the_chart_whichever_side_has_room():
    steps = np.arange(1, 1001)

    def label(fig):
        (note,) = [a for a in fig.layout.annotations if a.text.startswith("solved at step")]
        return note.xanchor

    # Solved at 160 of 1,000 steps: the left of the line is too narrow, the label goes right of it.
    assert label(figures.loss_figure(steps, np.ones(1000), solved_at=160)) == "left"
    assert label(figures.accuracy_figure(steps[::20], np.ones(50), np.ones(50), solved_at=160)) == "left"
    # Just solved (160 of 200 steps): the label goes left of the line, clear of the curves still to come.
    assert label(figures.loss_figure(steps[:200], np.ones(200), solved_at=160)) == "right"
    assert label(figures.accuracy_figure(steps[:200:20], np.ones(10), np.ones(10), solved_at=160)) == "right"
