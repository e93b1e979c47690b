"""Training: the Trainer, early stopping, history, callbacks, checkpoints and run logs.

Example:
    >>> from theanine.train import Trainer, EarlyStopping, History, Callback
    >>> Trainer().batch_size
    20
"""
from theanine.train.callbacks import Callback, EpochPrinter, ProgressBar
from theanine.train.checkpoint import (CheckpointError, load_checkpoint, load_weights,
                                       save_weights)
from theanine.train.early_stopping import EarlyStopping
from theanine.train.history import History
from theanine.train.trainer import Trainer, TrainingDiverged, TrainingInterrupted

__all__ = ["Trainer", "TrainingDiverged", "TrainingInterrupted", "EarlyStopping", "History",
           "Callback", "EpochPrinter", "ProgressBar", "CheckpointError", "load_checkpoint",
           "load_weights", "save_weights"]
