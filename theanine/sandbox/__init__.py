"""Theano's ``theano.sandbox`` names that tutorials import: ``rng_mrg``.

Example:
    >>> from theanine.sandbox.rng_mrg import MRG_RandomStreams
    >>> MRG_RandomStreams(seed=1).uniform((2, 2)).ndim
    2
"""
