"""The classic preset replays the tutorial's program (reference 000) exactly."""

# ruff: noqa: NPY002  (the reference program uses NumPy's legacy global random state on purpose)

import copy

import numpy as np
import pytest

from engine.classic import format_error
from engine.config import Config, preset
from engine.train import Trainer

# What the tutorial prints with np.random.seed(0): the error at iterations 0, 10000, ..., 90000,
# then the end error after 100000 iterations.
TUTORIAL_SEED0 = ["[3.45638663]", "[0.3231264]", "[0.27153112]", "[0.1603061]", "[0.10004929]",
                  "[0.11245508]", "[0.11951541]", "[0.07859761]", "[0.06742156]", "[0.08218885]"]
TUTORIAL_SEED0_END = "[0.05344101]"


def reference_program(seed: int, iterations: int):
    """ORACLE: the tutorial's own algorithm, transcribed as it is written.

    Global ``np.random.seed``/``random``/``randint``, operands as MSB-first bit rows,
    per-sample backpropagation through time and ``+=`` updates. Returns the printed
    error of every iteration (a length-1 array each, as the tutorial holds it) and the
    final weights (input, output, recurrent). The global random state is restored after.
    """
    saved = np.random.get_state()
    try:
        np.random.seed(seed)

        def sigmoid(x):
            return 1 / (1 + np.exp(-x))

        def sigmoid_output_to_derivative(out):
            return out * (1 - out)

        binary_dim = 8
        largest_number = 2**binary_dim
        binary = np.unpackbits(np.array([range(largest_number)], dtype=np.uint8).T, axis=1)
        int2binary = {i: binary[i] for i in range(largest_number)}
        alpha, input_dim, hidden_dim, output_dim = 0.1, 2, 16, 1
        synapse_0 = 2 * np.random.random((input_dim, hidden_dim)) - 1
        synapse_1 = 2 * np.random.random((hidden_dim, output_dim)) - 1
        synapse_h = 2 * np.random.random((hidden_dim, hidden_dim)) - 1
        synapse_0_update = np.zeros_like(synapse_0)
        synapse_1_update = np.zeros_like(synapse_1)
        synapse_h_update = np.zeros_like(synapse_h)
        errors = []
        for _ in range(iterations):
            a_int = np.random.randint(largest_number // 2)
            a = int2binary[a_int]
            b_int = np.random.randint(largest_number // 2)
            b = int2binary[b_int]
            c = int2binary[a_int + b_int]
            overall_error = 0
            layer_2_deltas = []
            layer_1_values = [np.zeros(hidden_dim)]
            future_layer_1_delta = np.zeros(hidden_dim)
            for position in range(binary_dim):  # forward, from the least significant bit
                X = np.array([[a[binary_dim - position - 1], b[binary_dim - position - 1]]])
                y = np.array([[c[binary_dim - position - 1]]]).T
                layer_1 = sigmoid(np.dot(X, synapse_0) + np.dot(layer_1_values[-1], synapse_h))
                layer_2 = sigmoid(np.dot(layer_1, synapse_1))
                layer_2_error = y - layer_2
                layer_2_deltas.append(layer_2_error * sigmoid_output_to_derivative(layer_2))
                overall_error += np.abs(layer_2_error[0])
                layer_1_values.append(copy.deepcopy(layer_1))
            for position in range(binary_dim):  # backward, from the most significant bit
                X = np.array([[a[position], b[position]]])
                layer_1 = layer_1_values[-position - 1]
                prev_layer_1 = layer_1_values[-position - 2]
                layer_2_delta = layer_2_deltas[-position - 1]
                layer_1_delta = (future_layer_1_delta.dot(synapse_h.T) + layer_2_delta.dot(synapse_1.T)
                                 ) * sigmoid_output_to_derivative(layer_1)
                synapse_1_update += np.atleast_2d(layer_1).T.dot(layer_2_delta)
                synapse_h_update += np.atleast_2d(prev_layer_1).T.dot(layer_1_delta)
                synapse_0_update += X.T.dot(layer_1_delta)
                future_layer_1_delta = layer_1_delta
            synapse_0 += synapse_0_update * alpha
            synapse_1 += synapse_1_update * alpha
            synapse_h += synapse_h_update * alpha
            synapse_0_update *= 0
            synapse_1_update *= 0
            synapse_h_update *= 0
            errors.append(overall_error)
        return errors, (synapse_0, synapse_1, synapse_h)
    finally:
        np.random.set_state(saved)


def classic(seed: int = 0, steps: int = 100_000) -> Trainer:
    return Trainer(preset("classic").replace(seed=seed, steps=steps))


def test_first_error_matches_the_tutorial():
    trainer = classic()
    trainer.advance(1)
    assert format_error(trainer.history.train["loss"][0]) == TUTORIAL_SEED0[0]


@pytest.mark.slow
def test_classic_preset_reproduces_every_printed_error_of_the_tutorial():
    trainer = classic()
    trainer.run()
    assert trainer.step == 100_000 and trainer.status == "finished"
    errors = trainer.history.train["loss"]
    printed = [format_error(errors[j]) for j in range(0, 100_000, 10_000)]
    assert printed == TUTORIAL_SEED0
    assert format_error(errors[-1]) == TUTORIAL_SEED0_END


@pytest.mark.parametrize("seed", [3])
def test_classic_preset_matches_the_reference_program_for_another_seed(seed):
    iterations = 10_000
    want_errors, (want_wxh, want_why, want_whh) = reference_program(seed, iterations)
    trainer = classic(seed=seed, steps=iterations)
    trainer.run()
    got = trainer.history.train["loss"]
    assert len(got) == iterations
    for j in (0, 1, 999, iterations - 1):
        assert format_error(got[j]) == str(want_errors[j]), f"printed error differs at iteration {j}"
    np.testing.assert_array_equal(got, np.concatenate(want_errors), err_msg="per-iteration errors")
    p = trainer.model.params
    np.testing.assert_array_equal(p["L1.Wxh"], want_wxh, err_msg="input weights")
    np.testing.assert_array_equal(p["Why"], want_why, err_msg="output weights")
    np.testing.assert_array_equal(p["L1.Whh"], want_whh, err_msg="recurrent weights")


def test_classic_training_leaves_the_global_random_state_alone():
    np.random.seed(7)
    before = np.random.get_state()
    classic(seed=0, steps=300).run()
    after = np.random.get_state()
    assert before[0] == after[0] and before[2:] == after[2:]
    np.testing.assert_array_equal(before[1], after[1])


def test_classic_preset_is_the_tutorials_network():
    cfg = preset("classic")
    assert (cfg.hidden, cfg.activation, cfg.bias, cfg.init, cfg.lr, cfg.batch, cfg.steps, cfg.seed) == (
        16, "sigmoid", False, "uniform", 0.1, 1, 100_000, 0)
    model = classic().model
    assert set(model.params) == {"L1.Wxh", "L1.Whh", "Why"}
    assert all(np.all((-1 <= v) & (v < 1)) for v in model.params.values())


def test_classic_algorithm_refuses_batches_and_other_cells():
    with pytest.raises(ValueError, match="one sample at a time"):
        Config(algorithm="classic", batch=64).validate()
    with pytest.raises(ValueError, match="one sample at a time"):
        preset("classic").replace(cell="lstm")
