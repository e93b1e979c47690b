"""Helpers for the command line: image loading and the gradient-check table."""
