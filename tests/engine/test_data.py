"""Bit encoding, addition batches with carries, and evaluation sets."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import data


@st.composite
def width_and_value(draw, lo=1, hi=64):
    bits = draw(st.integers(lo, hi))
    return bits, draw(st.integers(0, 2**bits - 1))


@st.composite
def width_and_fitting_pair(draw):
    """A width and two operands whose sum still fits in it."""
    bits = draw(st.integers(1, 64))
    total = draw(st.integers(0, 2**bits - 1))
    a = draw(st.integers(0, total))
    return bits, a, total - a


def reference_addition(a: int, b: int, bits: int):
    """Ripple-carry addition one bit at a time, LSB first: (sum bits, carry in, carry out)."""
    s, cin, cout = [], [], []
    carry = 0
    for i in range(bits):
        total = (a >> i & 1) + (b >> i & 1) + carry
        cin.append(carry)
        s.append(total & 1)
        carry = total >> 1
        cout.append(carry)
    return s, cin, cout


# --- encoding -----------------------------------------------------------------

@given(width_and_value())
def test_int_to_bits_round_trips_at_every_width(case):
    bits, n = case
    b = data.int_to_bits(n, bits)
    assert b.shape == (bits,)
    assert b.dtype == np.uint8
    assert int(data.bits_to_int(b)) == n


@given(width_and_value())
def test_int_to_bits_is_least_significant_first(case):
    bits, n = case
    assert data.int_to_bits(n, bits).tolist() == [(n >> i) & 1 for i in range(bits)]


@given(st.integers(1, 64).flatmap(
    lambda bits: st.tuples(st.just(bits), st.lists(st.integers(0, 2**bits - 1), min_size=1, max_size=20))))
def test_arrays_of_numbers_round_trip(case):
    bits, values = case
    b = data.int_to_bits(values, bits)
    assert b.shape == (len(values), bits)
    assert [int(v) for v in data.bits_to_int(b)] == values


def test_largest_64_bit_number_round_trips_exactly():
    top = 2**64 - 1
    b = data.int_to_bits(top, 64)
    assert b.tolist() == [1] * 64
    assert int(data.bits_to_int(b)) == top
    assert int(data.bits_to_int(data.int_to_bits(np.uint64(top), 64))) == top


def test_bits_to_int_rounds_probabilities():
    assert int(data.bits_to_int([0.9, 0.2, 0.51, 0.0])) == 0b0101


# --- bad arguments --------------------------------------------------------------

@pytest.mark.parametrize("bits", [0, 65, -1, 2.5, "8", None, True])
def test_bad_widths_are_refused_with_what_is_allowed(bits):
    for call in (lambda: data.int_to_bits(1, bits), lambda: data.make_batch([1], [1], bits),
                 lambda: data.random_batch(np.random.default_rng(0), 4, bits),
                 lambda: data.eval_set(bits), lambda: data.operand_limit(bits)):
        with pytest.raises(ValueError, match=r"bits must be .*from 1 to 64"):
            call()


@pytest.mark.parametrize("n", [-1, [3, -2], np.array([-5])])
def test_negative_numbers_are_refused(n):
    with pytest.raises(ValueError, match="must not be negative"):
        data.int_to_bits(n, 8)


@pytest.mark.parametrize("n", [2.5, "3", None, [1, 1.5], True])
def test_non_integers_are_refused(n):
    with pytest.raises(ValueError, match="whole number"):
        data.int_to_bits(n, 8)


@pytest.mark.parametrize(("n", "bits"), [(256, 8), (2, 1), (2**64, 64), (2**70, 64)])
def test_numbers_too_wide_are_refused(n, bits):
    with pytest.raises(ValueError, match=f"does not fit in {bits} bits"):
        data.int_to_bits(n, bits)


def test_make_batch_refuses_negative_operands():
    with pytest.raises(ValueError, match="a must not be negative"):
        data.make_batch([-1], [2], 8)
    with pytest.raises(ValueError, match="b must not be negative"):
        data.make_batch([1], [-2], 8)


@pytest.mark.parametrize(("a", "b", "bits"), [
    (128, 128, 8),
    (255, 1, 8),
    (1, 1, 1),
    (2**63, 2**63, 64),       # wraps to 0 in uint64
    (2**64 - 1, 1, 64),       # wraps to 0 in uint64
    (2**64 - 2, 3, 64),       # wraps to 1 in uint64
])
def test_make_batch_refuses_sums_that_do_not_fit(a, b, bits):
    with pytest.raises(ValueError, match=rf"{a} \+ {b} = {a + b} does not fit in {bits} bits"):
        data.make_batch([a], [b], bits)


def test_make_batch_refuses_operands_of_different_lengths():
    with pytest.raises(ValueError, match="equally long"):
        data.make_batch([1, 2], [3], 8)


def test_random_batch_refuses_an_empty_batch():
    with pytest.raises(ValueError, match="batch must be at least 1"):
        data.random_batch(np.random.default_rng(0), 0, 8)


# --- batches and carries -----------------------------------------------------------

@given(width_and_fitting_pair())
def test_make_batch_matches_ripple_carry_addition(case):
    bits, a, b = case
    batch = data.make_batch([a], [b], bits)
    s, cin, cout = reference_addition(a, b, bits)
    assert batch.x.shape == (1, bits, 2) and batch.y.shape == (1, bits, 1)
    assert batch.x[0, :, 0].tolist() == [(a >> i) & 1 for i in range(bits)]
    assert batch.x[0, :, 1].tolist() == [(b >> i) & 1 for i in range(bits)]
    assert batch.y[0, :, 0].tolist() == s
    assert batch.carry_in[0].tolist() == cin
    assert batch.carry_out[0].tolist() == cout
    assert int(batch.sum[0]) == a + b


def test_largest_64_bit_sum_is_laid_out_exactly():
    a, b = 2**64 - 2, 1
    batch = data.make_batch([a], [b], 64)
    assert batch.y[0, :, 0].tolist() == [1] * 64
    assert int(batch.sum[0]) == 2**64 - 1
    assert int(data.bits_to_int(batch.y[0, :, 0])) == a + b


@given(st.integers(1, 64), st.integers(0, 2**32 - 1), st.integers(1, 50))
def test_random_operands_stay_below_half_the_range(bits, seed, size):
    batch = data.random_batch(np.random.default_rng(seed), size, bits)
    limit = 2 ** (bits - 1)
    assert data.operand_limit(bits) == limit
    assert len(batch) == size
    assert batch.x.shape == (size, bits, 2) and batch.y.shape == (size, bits, 1)
    assert all(int(v) < limit for v in batch.a) and all(int(v) < limit for v in batch.b)
    assert [int(v) for v in data.bits_to_int(batch.y[..., 0])] == [int(a) + int(b) for a, b in
                                                                    zip(batch.a, batch.b, strict=True)]


def test_random_batches_are_reproducible_from_a_seed():
    one = data.random_batch(np.random.default_rng(42), 64, 8)
    two = data.random_batch(np.random.default_rng(42), 64, 8)
    np.testing.assert_array_equal(one.x, two.x)
    np.testing.assert_array_equal(one.y, two.y)


# --- evaluation sets -----------------------------------------------------------------

def test_eval_set_at_8_bits_is_every_pair_below_128():
    ev = data.eval_set(8)
    assert len(ev) == 16384
    pairs = set(zip(ev.a.tolist(), ev.b.tolist(), strict=True))
    assert len(pairs) == 16384
    assert pairs == {(a, b) for a in range(128) for b in range(128)}
    np.testing.assert_array_equal(data.bits_to_int(ev.y[..., 0]), ev.a + ev.b)
    assert data.is_exhaustive(8)


def test_eval_set_for_wide_numbers_is_a_fixed_sample():
    ev = data.eval_set(32)
    assert not data.is_exhaustive(32)
    assert len(ev) == 16384
    assert int(ev.a.max()) < 2**31 and int(ev.b.max()) < 2**31
    np.testing.assert_array_equal(ev.x, data.eval_set(32).x)


def test_eval_set_for_narrow_numbers_is_exhaustive():
    ev = data.eval_set(3)
    assert len(ev) == 16
    assert set(zip(ev.a.tolist(), ev.b.tolist(), strict=True)) == {(a, b) for a in range(4) for b in range(4)}


@pytest.mark.parametrize("bits", [9, 12, 64])
def test_sampled_evaluation_sets_hold_distinct_pairs(bits):
    batch = data.eval_set(bits)
    assert len(batch) == 16384
    assert len(np.unique(np.stack([batch.a, batch.b], axis=1), axis=0)) == 16384
    again = data.eval_set(bits)
    np.testing.assert_array_equal(batch.a, again.a)
    np.testing.assert_array_equal(batch.b, again.b)
    np.testing.assert_array_equal(batch.y, again.y)
    assert np.all(batch.a < 2 ** (bits - 1)) and np.all(batch.b < 2 ** (bits - 1))


def test_a_small_sample_of_a_crowded_width_holds_distinct_pairs():
    # Drawn with replacement, 255 of the 256 pairs at 5 bits would repeat many; the probe takes 256 at 8 bits.
    batch = data.eval_set(5, max_pairs=255, seed=3)
    pairs = np.stack([batch.a, batch.b], axis=1)
    assert len(np.unique(pairs, axis=0)) == 255
    probe_sample = data.eval_set(8, max_pairs=256, seed=1)
    assert len(np.unique(np.stack([probe_sample.a, probe_sample.b], axis=1), axis=0)) == 256
    assert not np.array_equal(data.eval_set(12, seed=1).a, data.eval_set(12, seed=2).a)
