"""Gradients through ``theanine.scan`` (backpropagation through time), checked
against central differences with ``verify_grad`` and against hand-derived sums."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

import theanine
import theanine.tensor as T
from theanine.errors import UnsupportedError
from theanine.gradcheck import verify_grad


def _elman(x_seq, h0, W, U, go_backwards=False):
    """An Elman RNN's hidden states: h_t = tanh(x_t U + h_{t-1} W)."""
    hs, _ = theanine.scan(lambda x_t, h, W_, U_: T.tanh(T.dot(x_t, U_) + T.dot(h, W_)),
                          sequences=x_seq, outputs_info=h0, non_sequences=[W, U],
                          go_backwards=go_backwards)
    return hs


@pytest.mark.parametrize("go_backwards", [False, True])
def test_elman_rnn_gradient_matches_finite_differences(backend, go_backwards):
    rng = np.random.default_rng(0)
    point = [rng.standard_normal((5, 2)), rng.standard_normal(3),
             rng.standard_normal((3, 3)) * 0.5, rng.standard_normal((2, 3)) * 0.5]
    verify_grad(lambda x, h0, W, U: _elman(x, h0, W, U, go_backwards), point)


@given(steps=st.integers(1, 4), n_in=st.integers(1, 3), n_hidden=st.integers(1, 3),
       batch=st.integers(1, 2), seed=st.integers(0, 2 ** 16))
def test_minibatch_rnn_gradient_on_random_shapes(steps, n_in, n_hidden, batch, seed):
    rng = np.random.default_rng(seed)
    point = [rng.standard_normal((steps, batch, n_in)), rng.standard_normal((batch, n_hidden)),
             rng.standard_normal((n_hidden, n_hidden)) * 0.5,
             rng.standard_normal((n_in, n_hidden)) * 0.5]
    verify_grad(_elman, point)


def test_lstm_cell_with_two_fed_back_states_and_a_closure_weight():
    # The tutorials' LSTM: hidden state and memory cell both fed back; the gate
    # weights are read from fn's closure, so they become inputs the loop sums into.
    rng = np.random.default_rng(1)

    def lstm(x_seq, W, b):
        n = 2

        def step(x_t, h, c):
            gates = T.dot(T.concatenate([x_t, h]), W) + b
            i, f, o = (T.nnet.sigmoid(gates[k * n:(k + 1) * n]) for k in range(3))
            c_new = f * c + i * T.tanh(gates[3 * n:])
            return o * T.tanh(c_new), c_new

        zeros = T.zeros((2,), dtype="float64")
        (h, c), _ = theanine.scan(step, sequences=x_seq, outputs_info=[zeros, zeros])
        return T.concatenate([h, c], axis=1)

    verify_grad(lstm, [rng.standard_normal((4, 3)), rng.standard_normal((5, 8)) * 0.5,
                       rng.standard_normal(8) * 0.1])


def test_outputs_not_fed_back_and_several_costs():
    rng = np.random.default_rng(2)

    def fn(x_seq, h0, w):
        def step(x_t, h):
            h_new = T.tanh(x_t * w + h)
            return x_t * h, h_new                     # the first output is not fed back
        (seen, hs), _ = theanine.scan(step, sequences=x_seq, outputs_info=[None, h0])
        return T.concatenate([seen, hs ** 2], axis=0)

    verify_grad(fn, [rng.standard_normal((3, 2)), rng.standard_normal(2),
                     rng.standard_normal(2)])


def test_repeated_step_without_sequences_gives_the_power_rule():
    x = T.dscalar('x')
    powers, _ = theanine.scan(lambda prev: prev * x, outputs_info=T.ones_like(x), n_steps=4)
    g = theanine.function([x], T.grad(T.sum(powers), x))
    # d/dx (x + x^2 + x^3 + x^4) at 2: 1 + 4 + 12 + 32
    assert float(g(2.0)) == 49.0


def test_entries_after_the_last_step_get_zero_gradient():
    v = T.dvector('v')
    k = T.lscalar('k')
    sums, _ = theanine.scan(lambda x, total: total + x * x, sequences=v,
                            outputs_info=T.constant(0.0, dtype='float64'), n_steps=k)
    g = theanine.function([v, k], T.grad(sums[-1], v))
    np.testing.assert_allclose(g(np.array([1.0, 2.0, 3.0, 4.0]), 2), [2.0, 4.0, 0.0, 0.0])


@pytest.mark.parametrize("go_backwards", [False, True])
def test_truncated_gradient_goes_back_only_through_the_last_steps(go_backwards):
    # h_t = w h_{t-1} + x_t, cost = sum_t h_t. Through the last 2 of 4 steps, the
    # entry read at the last step gets 1, the one before it 1 + w, earlier ones 0.
    x, h0, w = T.dvector('x'), T.dscalar('h0'), T.dscalar('w')
    hs, _ = theanine.scan(lambda x_t, h: w * h + x_t, sequences=x, outputs_info=h0,
                          truncate_gradient=2, go_backwards=go_backwards)
    f = theanine.function([x, h0, w], T.grad(T.sum(hs), [x, h0, w]) + [hs])
    x_value, w_value = np.array([1.0, 2.0, 3.0, 4.0]), 0.5
    dx, dh0, dw, h = f(x_value, 1.0, w_value)
    expected = np.array([0.0, 0.0, 1 + w_value, 1.0])
    np.testing.assert_allclose(dx, expected[::-1] if go_backwards else expected)
    assert float(dh0) == 0.0
    np.testing.assert_allclose(dw, 1.0 * h[2] + (1 + w_value) * h[1])


def test_truncation_longer_than_the_loop_is_the_full_gradient():
    x, h0 = T.dvector('x'), T.dscalar('h0')
    full, _ = theanine.scan(lambda x_t, h: 0.5 * h + x_t, sequences=x, outputs_info=h0)
    cut, _ = theanine.scan(lambda x_t, h: 0.5 * h + x_t, sequences=x, outputs_info=h0,
                           truncate_gradient=10)
    f = theanine.function([x, h0], T.grad(T.sum(full), [x, h0]) + T.grad(T.sum(cut), [x, h0]))
    dx_full, dh0_full, dx_cut, dh0_cut = f(np.array([1.0, 2.0, 3.0]), 1.0)
    np.testing.assert_array_equal(dx_full, dx_cut)
    assert float(dh0_full) == float(dh0_cut) == 0.5 + 0.25 + 0.125


def test_truncate_gradient_must_be_minus_one_or_positive():
    x = T.dvector('x')
    with pytest.raises(ValueError, match="truncate_gradient must be -1.*got 0"):
        theanine.scan(lambda x_t: x_t * 2, sequences=x, truncate_gradient=0)


def test_integer_sequences_and_counters_get_no_gradient_but_floats_do():
    labels = T.ivector('labels')
    w = theanine.shared(np.array([0.5, -1.0, 2.0]), name='w')
    picked, _ = theanine.scan(lambda y_t, total: total + w[y_t], sequences=labels,
                              outputs_info=T.constant(0.0, dtype='float64'))
    g = theanine.function([labels], T.grad(picked[-1], w))
    np.testing.assert_allclose(g(np.array([0, 2, 2], dtype='int32')), [1.0, 0.0, 2.0])


def test_float32_rnn_trains_with_sgd_updates():
    # An RNN learns to output the running sum of its inputs; the loss falls.
    rng = np.random.default_rng(3)
    W = theanine.shared(np.float32(0.1) * rng.standard_normal((4, 4)).astype('float32'))
    U = theanine.shared(np.float32(0.1) * rng.standard_normal((1, 4)).astype('float32'))
    V = theanine.shared(np.float32(0.1) * rng.standard_normal((4, 1)).astype('float32'))
    x, target = T.ftensor3('x'), T.ftensor3('target')
    h0 = T.zeros((x.shape[1], 4), dtype='float32')
    hs, _ = theanine.scan(lambda x_t, h: T.tanh(T.dot(x_t, U) + T.dot(h, W)),
                          sequences=x, outputs_info=h0)
    cost = T.mean((T.dot(hs, V) - target) ** 2)
    params = [W, U, V]
    grads = T.grad(cost, params)
    assert all(g.dtype == 'float32' for g in grads)
    train = theanine.function([x, target], cost,
                              updates=[(p, p - np.float32(0.2) * g) for p, g in zip(params, grads)])
    xs = rng.uniform(-0.5, 0.5, (6, 16, 1)).astype('float32')
    ys = np.cumsum(xs, axis=0) * np.float32(0.5)
    losses = [float(train(xs, ys)) for _ in range(300)]
    assert losses[-1] < 0.2 * losses[0]


def test_dropout_inside_the_step_uses_the_forward_loops_masks():
    # h_t = (w * h_{t-1}) * mask_t + x_t with a fresh binomial mask at every step. The
    # masks are recovered from the outputs; the gradient must use those same masks.
    from theanine.tensor.shared_randomstreams import RandomStreams
    srng = RandomStreams(7)
    x, h0, w = T.dmatrix('x'), T.dvector('h0'), T.dscalar('w')
    hs, updates = theanine.scan(
        lambda x_t, h: w * h * srng.binomial(size=(3,), p=0.5, dtype='float64') + x_t,
        sequences=x, outputs_info=h0)
    f = theanine.function([x, h0, w], [hs] + T.grad(T.sum(hs), [x, h0, w]), updates=updates)
    rng = np.random.default_rng(8)
    x_value, h0_value, w_value = rng.uniform(1, 2, (6, 3)), rng.uniform(1, 2, 3), 0.8
    for _ in range(2):                        # new masks at every call
        h, dx, dh0, dw = f(x_value, h0_value, w_value)
        previous = np.vstack([h0_value, h[:-1]])
        masks = np.round((h - x_value) / (w_value * previous))
        assert set(np.unique(masks)) <= {0.0, 1.0}
        carry, expected_dw, expected_dx = np.zeros(3), 0.0, np.zeros_like(x_value)
        for t in range(5, -1, -1):
            g = 1.0 + carry
            expected_dx[t] = g
            expected_dw += np.sum(g * previous[t] * masks[t])
            carry = g * w_value * masks[t]
        np.testing.assert_allclose(dx, expected_dx)
        np.testing.assert_allclose(dh0, carry)
        np.testing.assert_allclose(dw, expected_dw)


def test_gradient_through_a_loop_reading_state_its_updates_change_is_refused():
    total = theanine.shared(np.float64(1.0), name='total')
    w = T.dscalar('w')

    def step(prev):
        return prev * w * total, {total: total + 1}
    ys, updates = theanine.scan(step, outputs_info=T.constant(1.0, dtype='float64'),
                                n_steps=2, name='accumulating')
    with pytest.raises(UnsupportedError, match="scan 'accumulating' reads a shared variable "
                                               "that fn's updates change"):
        T.grad(ys[-1], w)


def test_second_derivative_through_a_scan():
    x = T.dscalar('x')
    powers, _ = theanine.scan(lambda prev: prev * x, outputs_info=T.ones_like(x), n_steps=3)
    first = T.grad(powers[-1], x)                     # 3 x^2
    second = theanine.function([x], T.grad(first, x))
    assert float(second(2.0)) == 12.0                 # 6 x


def test_gradient_of_an_rnn_gradient_matches_finite_differences():
    # Hessian-vector products through time, as Hessian-free training needs them.
    rng = np.random.default_rng(6)

    def input_gradient(x, h0, W):
        hs = _elman(x, h0, W, T.constant(np.eye(2)))
        return T.grad(T.sum(hs ** 2), x)

    verify_grad(input_gradient, [rng.standard_normal((4, 2)), rng.standard_normal(2),
                                 rng.standard_normal((2, 2)) * 0.5])


def test_gradient_through_sequence_and_output_taps():
    # y[t] = tanh(w * y[t-2] + y[t-1] * x[t+1] - x[t-1]); all four inputs get gradients.
    rng = np.random.default_rng(4)

    def fn(x, y0, w):
        ys, _ = theanine.scan(lambda ahead, behind, older, old: T.tanh(w * older + old * ahead
                                                                       - behind),
                              sequences=dict(input=x, taps=[1, -1]),
                              outputs_info=dict(initial=y0, taps=[-2, -1]))
        return ys

    verify_grad(fn, [rng.standard_normal((6, 2)), rng.standard_normal((2, 2)),
                     rng.standard_normal(2)])


def test_gradient_of_a_loop_going_backwards_over_part_of_its_sequence():
    rng = np.random.default_rng(5)

    def fn(x, h0):
        hs, _ = theanine.scan(lambda x_t, h: T.tanh(x_t + 0.5 * h), sequences=x,
                              outputs_info=h0, n_steps=3, go_backwards=True)
        return hs

    verify_grad(fn, [rng.standard_normal((5, 2)), rng.standard_normal(2)])


def test_gradient_through_a_loop_that_stops_early():
    # The loop stops after 3 of 6 steps (the counter reaches 3); only the entries it
    # read get gradients.
    x, h0 = T.dvector('x'), T.dscalar('h0')
    (hs, _), _ = theanine.scan(
        lambda x_t, h, count: ([h * x_t, count + 1], theanine.until(count + 1 >= 3)),
        sequences=x, outputs_info=[h0, T.constant(0, dtype='int64')])
    f = theanine.function([x, h0], T.grad(hs[-1], [x, h0]) + [hs])
    dx, dh0, h = f(np.array([2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), 1.5)
    np.testing.assert_array_equal(h, [3.0, 9.0, 36.0])
    np.testing.assert_allclose(dx, [12.0 * 1.5, 8.0 * 1.5, 6.0 * 1.5, 0, 0, 0])
    assert float(dh0) == 24.0


def test_the_gradient_loop_reads_stored_outputs_instead_of_recomputing_them():
    # tanh's gradient needs only tanh's output, which the forward loop stacked.
    from theanine.ops.scan import Scan
    x, h0, w = T.dvector('x'), T.dscalar('h0'), T.dscalar('w')
    hs, _ = theanine.scan(lambda x_t, h: T.tanh(w * h + x_t), sequences=x, outputs_info=h0)
    f = theanine.function([x, h0, w], T.grad(T.sum(hs), w))
    backward = [node.op for node in f.nodes if isinstance(node.op, Scan)
                and node.op.name.startswith('grad of')]
    assert len(backward) == 1
    assert not any('tanh' in str(node.op) for node in backward[0].fn.nodes)
    x_value = np.array([0.5, -1.0, 2.0])
    h = [0.3]
    for x_t in x_value:
        h.append(np.tanh(0.7 * h[-1] + x_t))
    # d/dw sum_t h_t by the chain rule, backwards through time
    carry, dw = 0.0, 0.0
    for t in range(3, 0, -1):
        delta = (1.0 + carry) * (1.0 - h[t] ** 2)
        dw += delta * h[t - 1]
        carry = delta * 0.7
    np.testing.assert_allclose(f(x_value, 0.3, 0.7), dw, rtol=1e-12)
