"""Optimizers on the quadratic f(p) = |p|^2 / 2, whose gradient is p itself."""

import math

import numpy as np
import pytest

from engine import optim

P0 = np.array([1.0, -2.0, 0.5])


def quadratic_steps(opt, n: int, lr_after: dict[int, float] | None = None) -> list[np.ndarray]:
    """Run ``n`` steps from P0 on the quadratic; returns p after each step."""
    params = {"p": P0.copy()}
    out = []
    for i in range(n):
        if lr_after and i in lr_after:
            opt.lr = lr_after[i]
        opt.step(params, {"p": params["p"].copy()})
        out.append(params["p"].copy())
    return out


def test_sgd_first_steps():
    p1, p2 = quadratic_steps(optim.make("sgd", 0.1), 2)
    np.testing.assert_allclose(p1, 0.9 * P0, rtol=1e-15)
    np.testing.assert_allclose(p2, 0.81 * P0, rtol=1e-15)


def test_momentum_first_steps():
    # v1 = g1 = P0, p1 = 0.9 P0; g2 = 0.9 P0, v2 = 0.9 v1 + g2 = 1.8 P0, p2 = p1 - 0.1 v2 = 0.72 P0
    p1, p2 = quadratic_steps(optim.make("momentum", 0.1), 2)
    np.testing.assert_allclose(p1, 0.9 * P0, rtol=1e-15)
    np.testing.assert_allclose(p2, 0.72 * P0, rtol=1e-15)


def adam_reference(lr: float, n: int, lrs: dict[int, float] | None = None) -> list[np.ndarray]:
    """Adam as written in the paper (Algorithm 1), on the same quadratic."""
    b1, b2, eps = 0.9, 0.999, 1e-8
    p, m, v, out = P0.copy(), np.zeros(3), np.zeros(3), []
    for t in range(1, n + 1):
        lr = (lrs or {}).get(t - 1, lr)
        g = p.copy()
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


def test_adam_first_step_moves_each_coordinate_by_the_learning_rate():
    (p1,) = quadratic_steps(optim.make("adam", 0.01), 1)
    # m_hat = g, v_hat = g^2, so the step is lr * g / (|g| + eps): lr against the sign of g
    np.testing.assert_allclose(p1, P0 - 0.01 * P0 / (np.abs(P0) + 1e-8), rtol=1e-14)
    np.testing.assert_allclose(p1, P0 - 0.01 * np.sign(P0), rtol=1e-9)


def test_adam_matches_the_papers_algorithm():
    got = quadratic_steps(optim.make("adam", 0.05), 5)
    for t, (g, want) in enumerate(zip(got, adam_reference(0.05, 5), strict=True), start=1):
        np.testing.assert_allclose(g, want, rtol=1e-12, err_msg=f"after step {t}")


def test_changing_the_learning_rate_keeps_momentum():
    opt = optim.make("momentum", 0.1)
    p1, p2 = quadratic_steps(opt, 2, lr_after={1: 0.01})
    v1 = P0
    v2 = 0.9 * v1 + p1
    np.testing.assert_allclose(p2, p1 - 0.01 * v2, rtol=1e-15)
    assert opt.lr == 0.01


def test_changing_the_learning_rate_keeps_adams_moments_and_step_count():
    opt = optim.make("adam", 0.05)
    got = quadratic_steps(opt, 4, lr_after={2: 0.001})
    assert opt.t == 4
    for t, (g, want) in enumerate(zip(got, adam_reference(0.05, 4, {2: 0.001, 3: 0.001}), strict=True), 1):
        np.testing.assert_allclose(g, want, rtol=1e-12, err_msg=f"after step {t}")


def test_state_is_kept_per_parameter_name():
    opt = optim.make("momentum", 0.1)
    params = {"a": np.array([1.0]), "b": np.array([10.0])}
    opt.step(params, {"a": np.array([1.0]), "b": np.array([0.0])})
    opt.step(params, {"a": np.array([0.0]), "b": np.array([0.0])})
    np.testing.assert_allclose(params["a"], [1.0 - 0.1 - 0.09])
    np.testing.assert_allclose(params["b"], [10.0])


def test_unknown_optimizer_names_the_choices():
    with pytest.raises(ValueError, match="sgd, momentum, adam"):
        optim.make("rmsprop", 0.1)


def test_clipping_scales_large_gradients_to_the_limit():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    norm = optim.clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(5.0)
    assert optim.global_norm(grads) == pytest.approx(1.0)
    np.testing.assert_allclose(grads["a"], [0.6, 0.0])
    np.testing.assert_allclose(grads["b"], [[0.8]])


@pytest.mark.parametrize("max_norm", [0.0, 10.0])
def test_clipping_leaves_small_gradients_alone(max_norm):
    grads = {"a": np.array([3.0, 4.0])}
    assert optim.clip_by_global_norm(grads, max_norm) == pytest.approx(5.0)
    np.testing.assert_array_equal(grads["a"], [3.0, 4.0])


def test_global_norm_spans_every_tensor():
    assert optim.global_norm({"a": np.ones((2, 2)), "b": np.ones(5)}) == pytest.approx(math.sqrt(9))
