"""The cost estimate grows with the work a step does and ranks configurations by their measured time."""

import time

from engine import cost
from engine.config import Config
from engine.train import Trainer


def test_cost_grows_with_every_size_setting():
    base = cost.estimate(Config())
    for bigger in (Config(hidden=32), Config(layers=2), Config(bits=16), Config(batch=128),
                   Config(cell="gru"), Config(cell="lstm")):
        assert cost.estimate(bigger).macs > base.macs, bigger
    assert cost.estimate(Config(eval_every=1)).seconds > base.seconds


def test_lstm_counts_four_blocks_of_the_rnn_work():
    rnn, lstm = Config(hidden=8, bias=False), Config(cell="lstm", hidden=8, bias=False)
    assert cost.forward_macs(lstm) - 8 == 4 * (cost.forward_macs(rnn) - 8)


def test_estimate_orders_configs_as_measured_time_does():
    small, large = Config(hidden=8, eval_every=10**6), Config(hidden=96, layers=2, eval_every=10**6)

    def seconds_per_step(config):
        tr = Trainer(config)
        tr.advance(2)
        start = time.perf_counter()
        tr.advance(20)
        return (time.perf_counter() - start) / 20

    assert cost.estimate(large).seconds > cost.estimate(small).seconds
    assert seconds_per_step(large) > seconds_per_step(small)


def test_description_names_the_estimate():
    text = cost.estimate(Config(cell="lstm", hidden=256, layers=4, bits=16)).describe()
    assert "multiply-adds" in text and " s per step" in text
