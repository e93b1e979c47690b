"""Models holding shared variables and symbolic graphs pickle and load (``pickle.dump(model)``)."""
from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np

import theanine
import theanine.tensor as T
from theanine.graph.type import TensorType


class Model:
    def __init__(self):
        self.input = T.matrix('x')
        self.W = theanine.shared(np.arange(6, dtype='float32').reshape(3, 2), name='W')
        self.labels = T.cast(theanine.shared(np.array([1.0, 0.0], dtype='float32')), 'int32')
        self.p = T.nnet.softmax(T.dot(self.input, self.W))
        self.y_pred = T.argmax(self.p, axis=1)
        self.activation = T.tanh
        self.errors = T.mean(T.neq(self.y_pred, self.labels))


def test_model_round_trip_keeps_values_and_compiles():
    model = Model()
    copy = pickle.loads(pickle.dumps(model))
    assert copy.activation is T.tanh
    assert copy.W is not model.W and copy.W.name == 'W'
    np.testing.assert_array_equal(copy.W.get_value(), model.W.get_value())
    x = np.array([[1, 0, 0], [0, 0, 1]], dtype='float32')
    f = theanine.function([copy.input], [copy.y_pred, copy.errors])
    g = theanine.function([model.input], [model.y_pred, model.errors])
    for a, b in zip(f(x), g(x)):
        np.testing.assert_array_equal(a, b)


def test_loaded_shared_variable_is_independent_and_updatable():
    model = Model()
    copy = pickle.loads(pickle.dumps(model))
    step = theanine.function([], updates=[(copy.W, copy.W * 2)])
    step()
    assert copy.W.get_value()[2, 1] == 10 and model.W.get_value()[2, 1] == 5


def test_random_stream_draws_pickle_with_their_state():
    from theanine.tensor.shared_randomstreams import RandomStreams
    srng = RandomStreams(seed=5)
    sample = srng.uniform((3,))
    copy = pickle.loads(pickle.dumps(sample))
    np.testing.assert_array_equal(theanine.function([], copy)(),
                                  theanine.function([], sample)())


def test_tensor_types_hash_alike_in_a_new_process():
    # The hash of a type is cached; a string hash differs between processes.
    blob = pickle.dumps(TensorType('float32', (None, 10)))
    code = ("import pickle, sys; from theanine.graph.type import TensorType\n"
            "t = pickle.loads(sys.stdin.buffer.read())\n"
            "print(hash(t) == hash(TensorType('float32', (None, 10))), t == TensorType("
            "'float32', (None, 10)))\n")
    done = subprocess.run([sys.executable, '-c', code], input=blob, capture_output=True,
                          timeout=60)
    assert done.stdout.decode().split() == ['True', 'True'], done.stderr.decode()
