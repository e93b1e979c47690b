"""``theanine.scan``: loops over sequences and fed-back outputs, carried shared state."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import theanine
import theanine.tensor as T
from theanine.errors import ExecutionError


def test_sequence_with_fed_back_total_gives_running_sums():
    v = T.dvector('v')
    sums, updates = theanine.scan(lambda x, total: total + x, sequences=v,
                                  outputs_info=T.constant(0.0, dtype='float64'))
    assert updates == {}
    assert sums.type.shape == (None,)
    f = theanine.function([v], sums)
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0, 4.0])), [1, 3, 6, 10])


def test_n_steps_without_sequences_repeats_the_step():
    x = T.dvector('x')
    powers, _ = theanine.scan(lambda prev: prev * x, outputs_info=T.ones_like(x), n_steps=3)
    assert powers.type.shape[0] == 3
    out = theanine.function([x], powers)(np.array([2.0, 3.0]))
    np.testing.assert_allclose(out, [[2, 3], [4, 9], [8, 27]])


def test_symbolic_n_steps():
    k = T.lscalar('k')
    a = T.dscalar('a')
    doubled, _ = theanine.scan(lambda prev: prev * 2, outputs_info=a, n_steps=k)
    f = theanine.function([a, k], doubled[-1])
    assert float(f(1.0, 5)) == 32.0
    assert float(f(3.0, 1)) == 6.0


def test_outputs_not_fed_back_have_none_in_outputs_info():
    # The RBM's Gibbs chain: six outputs, only the last one feeds the next step.
    h0 = T.dvector('h0')

    def step(h):
        pre = h * 2.0
        mean = pre + 1.0
        return [pre, mean, mean - h]

    (pre, mean, h), updates = theanine.scan(step, outputs_info=[None, None, h0], n_steps=3)
    f = theanine.function([h0], [pre, mean, h])
    pre_v, mean_v, h_v = f(np.array([1.0]))
    # h_t = 2 h_{t-1} + 1 - h_{t-1} = h_{t-1} + 1
    np.testing.assert_allclose(h_v[:, 0], [2, 3, 4])
    np.testing.assert_allclose(pre_v[:, 0], [2, 4, 6])
    np.testing.assert_allclose(mean_v[:, 0], [3, 5, 7])


def test_non_sequences_closure_inputs_and_shared_variables():
    v = T.dvector('v')
    scale = T.dscalar('scale')
    offset = T.dscalar('offset')  # captured by the closure, not passed
    w = theanine.shared(np.float64(10.0), name='w')
    out, _ = theanine.scan(lambda x, s: x * s + offset + w, sequences=[v],
                           non_sequences=[scale])
    f = theanine.function([v, scale, offset], out)
    np.testing.assert_allclose(f(np.array([1.0, 2.0]), 3.0, 0.5), [13.5, 16.5])
    w.set_value(0.0)
    np.testing.assert_allclose(f(np.array([1.0, 2.0]), 3.0, 0.5), [3.5, 6.5])


def test_several_sequences_run_as_long_as_the_shortest():
    a, b = T.dvector('a'), T.dvector('b')
    prod, _ = theanine.scan(lambda x, y: x * y, sequences=[a, b])
    f = theanine.function([a, b], prod)
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0])), [4, 10])


def test_sequence_over_matrix_rows_and_go_backwards():
    m = T.dmatrix('m')
    row_sums, _ = theanine.scan(lambda r: r.sum(), sequences=m, go_backwards=True)
    out = theanine.function([m], row_sums)(np.arange(6.0).reshape(3, 2))
    np.testing.assert_allclose(out, [9, 5, 1])


def test_shared_state_with_default_update_is_carried_and_returned_in_updates():
    # A random stream's generator is a shared variable with a default update; a
    # counter with a default update behaves the same way.
    counter = theanine.shared(np.float64(0.0), name='counter')
    counter.default_update = counter + 1
    seen, updates = theanine.scan(lambda: counter * 1.0, n_steps=4)
    assert list(updates) == [counter]
    f = theanine.function([], seen, updates=updates)
    np.testing.assert_allclose(f(), [0, 1, 2, 3])
    assert float(counter.get_value()) == 4.0
    np.testing.assert_allclose(f(), [4, 5, 6, 7])


def test_updates_returned_by_fn_apply_at_every_step():
    acc = theanine.shared(np.float64(1.0), name='acc')
    v = T.dvector('v')
    out, updates = theanine.scan(lambda x: (acc + x, {acc: acc * 2}), sequences=v)
    f = theanine.function([v], out, updates=updates)
    np.testing.assert_allclose(f(np.array([0.0, 0.0, 0.0])), [1, 2, 4])
    assert float(acc.get_value()) == 8.0


def test_updates_is_an_ordered_dict_callers_extend():
    counter = theanine.shared(np.float64(0.0), name='counter')
    counter.default_update = counter + 1
    w = theanine.shared(np.float64(5.0), name='w')
    seen, updates = theanine.scan(lambda: counter + w, n_steps=2)
    updates[w] = w - 1  # the RBM adds its parameter updates to scan's dictionary
    updates.update({})
    f = theanine.function([], seen[-1], updates=updates, name='train')
    assert float(f()) == 6.0
    assert float(w.get_value()) == 4.0 and float(counter.get_value()) == 2.0


def test_grad_through_a_chain_of_products():
    # chain[-1] = w * w elementwise; tests/test_scan_grad.py checks gradients in depth.
    w = theanine.shared(np.array([1.0, 2.0]), name='w')
    chain, _ = theanine.scan(lambda prev: prev * w, outputs_info=T.ones_like(w), n_steps=2,
                             name='gibbs')
    g = theanine.function([], T.grad(T.sum(chain[-1]), w))
    np.testing.assert_allclose(g(), [2.0, 4.0])


def test_consider_constant_on_the_chain_end_avoids_the_scan():
    w = theanine.shared(np.array([1.0, 2.0]), name='w')
    chain, _ = theanine.scan(lambda prev: prev * w, outputs_info=T.ones_like(w), n_steps=2)
    end = chain[-1]
    cost = T.sum(w * end)
    g = T.grad(cost, w, consider_constant=[end])
    np.testing.assert_allclose(theanine.function([], g)(), [1.0, 4.0])


def test_fed_back_output_with_another_dtype_is_rejected_when_built():
    x = T.fvector('x')
    with pytest.raises(TypeError, match="fed back.*float64.*float32"):
        theanine.scan(lambda prev: T.cast(prev, 'float64') * 2, outputs_info=x, n_steps=2)


def test_outputs_info_must_match_the_outputs():
    x = T.dvector('x')
    with pytest.raises(ValueError, match="2 outputs but outputs_info has 1"):
        theanine.scan(lambda prev: [prev, prev], outputs_info=[x], n_steps=2)


def test_sequence_taps_read_neighbouring_entries_in_the_order_given():
    v = T.dvector('v')
    seen, _ = theanine.scan(lambda later, earlier, now: [later, earlier, now],
                            sequences=dict(input=v, taps=[1, -1, 0]))
    later, earlier, now = theanine.function([v], seen)(np.arange(5.0))
    np.testing.assert_array_equal(now, [1, 2, 3])           # t runs from 1 to 3
    np.testing.assert_array_equal(earlier, [0, 1, 2])
    np.testing.assert_array_equal(later, [2, 3, 4])


def test_future_only_taps_shorten_the_loop_from_the_start():
    v = T.dvector('v')
    ahead, _ = theanine.scan(lambda x: x * 10, sequences=dict(input=v, taps=[2]))
    np.testing.assert_array_equal(theanine.function([v], ahead)(np.arange(5.0)), [20, 30, 40])


def test_output_taps_with_a_gap_read_the_values_before_the_first_step():
    # y[t] = y[t-3] + y[t-1]; the initial holds y[-3], y[-2], y[-1].
    y0 = T.dvector('y0')
    ys, _ = theanine.scan(lambda older, old: older + old, n_steps=4,
                          outputs_info=dict(initial=y0, taps=[-3, -1]))
    out = theanine.function([y0], ys)(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [4, 6, 9, 13])


def test_output_taps_of_matrices_and_a_plain_output_together():
    h0 = T.dmatrix('h0')            # two earlier rows
    c0 = T.dvector('c0')

    def step(h2, h1, c):
        return h1 + h2, c * 2
    (hs, cs), _ = theanine.scan(step, n_steps=3,
                                outputs_info=[dict(initial=h0, taps=[-2, -1]), c0])
    h, c = theanine.function([h0, c0], [hs, cs])(np.array([[1.0, 0.0], [0.0, 1.0]]),
                                                np.array([1.0]))
    np.testing.assert_array_equal(h, [[1, 1], [1, 2], [2, 3]])
    np.testing.assert_array_equal(c[:, 0], [2, 4, 8])


def test_taps_that_cannot_work_are_rejected_when_built():
    x = T.dvector('x')
    with pytest.raises(ValueError, match="taps of sequences must be distinct"):
        theanine.scan(lambda a, b: a + b, sequences=dict(input=x, taps=[0, 0]))
    with pytest.raises(ValueError, match="outputs_info taps must be negative"):
        theanine.scan(lambda a: a, outputs_info=dict(initial=x, taps=[0]), n_steps=2)
    with pytest.raises(ValueError, match="values before the first step along a first axis"):
        theanine.scan(lambda a, b: a + b, n_steps=2,
                      outputs_info=dict(initial=T.dscalar('s'), taps=[-2, -1]))


def test_go_backwards_with_fewer_steps_reads_from_the_end():
    v = T.dvector('v')
    seen, _ = theanine.scan(lambda x: x, sequences=v, n_steps=2, go_backwards=True)
    np.testing.assert_array_equal(theanine.function([v], seen)(np.arange(5.0)), [4, 3])


def test_until_ends_the_loop_after_the_step_where_it_holds():
    v = T.dvector('v')
    total, _ = theanine.scan(lambda x, acc: (acc + x, theanine.until(acc + x > 5)),
                             sequences=v, outputs_info=T.constant(0.0, dtype='float64'))
    f = theanine.function([v], total)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0, 3.0, 4.0])), [1, 3, 6])
    np.testing.assert_array_equal(f(np.array([1.0, 1.0])), [1, 2])      # never holds


def test_until_with_updates_and_a_non_scalar_condition():
    counter = theanine.shared(np.float64(0.0), name='counter')

    def step(prev):
        return prev * 2, {counter: counter + 1}, theanine.until(prev * 2 >= 8)
    powers, updates = theanine.scan(step, outputs_info=T.constant(1.0, dtype='float64'),
                                    n_steps=10)
    f = theanine.function([], powers, updates=updates)
    np.testing.assert_array_equal(f(), [2, 4, 8])
    assert float(counter.get_value()) == 3.0
    with pytest.raises(ValueError, match="condition must be a scalar"):
        theanine.until(T.dvector('flags'))


def test_n_steps_or_sequences_are_required():
    with pytest.raises(ValueError, match="n_steps"):
        theanine.scan(lambda: T.constant(1.0))


def test_an_output_that_changes_shape_between_steps_is_reported():
    x = T.dvector('x')
    grown, _ = theanine.scan(lambda prev: T.concatenate([prev, prev]), outputs_info=x,
                             n_steps=3, name='doubling')
    f = theanine.function([x], grown)
    with pytest.raises(ExecutionError, match=r"scan doubling: step 1 made output 0 of shape "
                                         r"\(4,\), but the first step made it \(2,\)"):
        f(np.array([1.0]))


def test_n_steps_longer_than_a_sequence_fails_at_run_time():
    v = T.dvector('v')
    out, _ = theanine.scan(lambda x: x * 2, sequences=v, n_steps=5)
    with pytest.raises(Exception, match="n_steps=5"):
        theanine.function([v], out)(np.array([1.0, 2.0]))


def test_two_loops_with_the_same_inputs_are_not_merged():
    x = T.dvector('x')
    up, _ = theanine.scan(lambda p: p + 1, outputs_info=x, n_steps=2)
    down, _ = theanine.scan(lambda p: p - 1, outputs_info=x, n_steps=2)
    f = theanine.function([x], [up[-1], down[-1]])
    a, b = f(np.array([0.0]))
    assert a.tolist() == [2.0] and b.tolist() == [-2.0]


def test_a_graph_with_a_scan_pickles_and_runs_after_loading():
    w = theanine.shared(np.array([2.0]), name='w')
    x = T.dvector('x')
    chain, _ = theanine.scan(lambda p: p * w, outputs_info=x, n_steps=3)
    x2, last = pickle.loads(pickle.dumps((x, chain[-1])))
    assert theanine.function([x2], last)(np.array([1.0])).tolist() == [8.0]


def test_random_draws_inside_fn_advance_even_without_scan_updates():
    from theanine.tensor.shared_randomstreams import RandomStreams
    srng = RandomStreams(1)
    h0 = T.dvector('h0')
    walk, updates = theanine.scan(lambda h: h + srng.uniform(size=h.shape, dtype='float64'),
                                  outputs_info=h0, n_steps=3)
    assert len(updates) == 1
    with_updates = theanine.function([h0], walk, updates=updates)
    without = theanine.function([h0], walk)
    a, b = with_updates(np.zeros(2)), without(np.zeros(2))
    assert a.shape == (3, 2) and np.all(np.diff(a, axis=0) > 0)
    assert not np.allclose(a, b) and not np.allclose(b, without(np.zeros(2)))


def test_gibbs_chain_with_random_streams_matches_a_numpy_loop():
    # Each step draws binomial(p=sigmoid(h W)); the states advance across calls.
    from theanine.tensor.shared_randomstreams import RandomStreams
    W = theanine.shared(np.array([[2.0, -1.0], [0.5, 3.0]]), name='W')
    srng = RandomStreams(7)

    def step(h):
        mean = T.nnet.sigmoid(T.dot(h, W))
        return [mean, srng.binomial(size=mean.shape, n=1, p=mean, dtype='float64')]

    start = theanine.shared(np.ones((4, 2)), name='chain')
    (means, samples), updates = theanine.scan(step, outputs_info=[None, start], n_steps=5,
                                              name='gibbs')
    updates[start] = samples[-1]
    run = theanine.function([], [means, samples], updates=updates, name='sample_fn')
    means_v, samples_v = run()
    assert means_v.shape == samples_v.shape == (5, 4, 2)
    assert set(np.unique(samples_v)) <= {0.0, 1.0}
    previous = np.vstack([np.ones((1, 4, 2)), samples_v[:-1]])
    expected = 1 / (1 + np.exp(-np.einsum('tij,jk->tik', previous, W.get_value())))
    np.testing.assert_allclose(means_v, expected)
    np.testing.assert_array_equal(start.get_value(), samples_v[-1])
    assert not np.array_equal(run()[1], samples_v)
