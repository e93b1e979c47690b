"""Layers and models that own shared parameters and build symbolic outputs.

Example:
    >>> import numpy as np, theanine, theanine.tensor as T
    >>> from theanine import nn
    >>> model = nn.MLP(n_in=784, n_hidden=500, n_out=10)
    >>> x = T.matrix('x')
    >>> scores = model(x)                      # symbolic class scores (logits)
    >>> [name for name, _ in model.named_params()]
    ['hiddenLayer.W', 'hiddenLayer.b', 'logRegressionLayer.W', 'logRegressionLayer.b']
"""
from theanine.nn.module import Module
from theanine.nn import init
from theanine.nn.layers import (Affine, Dense, Flatten, ReLU, Reshape, Sequential, Sigmoid,
                                Tanh)
from theanine.nn.conv import Conv2D, MaxPool2D
from theanine.nn.dropout import Dropout
from theanine.nn.batchnorm import BatchNorm
from theanine.nn.losses import SoftmaxWithLoss, cross_entropy, nll, zero_one
from theanine.nn.models import (LeNet5, LeNetConvPoolLayer, LogisticRegression, MLP, MODELS,
                                build_model)
from theanine.nn.two_layer_net import TwoLayerNet

__all__ = ["Module", "init", "Affine", "Dense", "Flatten", "ReLU", "Reshape", "Sequential",
           "Sigmoid", "Tanh", "Conv2D", "MaxPool2D", "Dropout", "BatchNorm",
           "SoftmaxWithLoss", "cross_entropy", "nll", "zero_one", "LogisticRegression", "MLP",
           "LeNet5", "LeNetConvPoolLayer", "TwoLayerNet", "MODELS", "build_model"]
