"""Signal processing on tensors, as Theano's ``theano.tensor.signal``: pooling.

Example:
    >>> from theanine.tensor.signal import pool
    >>> pool.pool_2d.__name__
    'pool_2d'
"""
