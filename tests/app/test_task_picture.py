"""The picture of the task on the Train page: the carries and sums it writes are the engine's."""

from __future__ import annotations

import re

import pytest

from engine import Config, SequenceModel
from engine.analysis.explain import unroll_sum
from ui import task_picture


@pytest.mark.parametrize("a,b,bits", [(109, 39, 8), (127, 1, 8), (0, 0, 4), (2**15 - 1, 2**15, 16)])
def test_the_pictures_columns_are_the_engines_carries_and_sum_bits(a, b, bits):
    u = unroll_sum(SequenceModel(Config(hidden=2, bits=bits)), a, b, bits)
    cols = task_picture.columns(a, b, bits)
    assert [c["carry"] for c in cols] == [int(x) for x in u.carry_in]
    assert [c["sum"] for c in cols] == [int(x) for x in u.sum_bits]
    assert [c["a"] for c in cols] == [int(x) for x in u.a_bits]


def test_the_picture_writes_the_sum_as_on_paper_with_one_column_per_time_step():
    html = task_picture.picture_html(109, 39, 8)
    rows = re.findall(r"<tr class='(\w*)'>(.*?)</tr>", html)
    digits = {cls or name: re.findall(r"<td class='(?:now)?'>(\d?)</td>", body) for cls, body in rows
              for name in [re.search(r"class='name'>([^<]*)", body).group(1)]}
    assert "".join(digits["a = 109"]) == "01101101" and "".join(digits["+ b = 39"]) == "00100111"
    assert "".join(digits["sum"]) == "10010100"  # 148, most significant bit on the left
    assert re.findall(r"<td>(\d)</td>", rows[-1][1]) == [str(t) for t in range(7, -1, -1)]  # time steps


def test_the_train_page_shows_the_picture_before_any_chart(page_at_train):
    html = [h.proto.body for h in page_at_train.get("html")]
    assert any("task-picture" in h for h in html)


@pytest.fixture
def page_at_train(app):
    app.run()
    assert not app.exception
    return app
