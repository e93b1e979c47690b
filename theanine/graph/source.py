"""Finding the user's own source line that built a node.

Errors are most useful when they point at the line the user wrote, not at
theanine's internals, so every Apply node records the first stack frame that
lies outside the theanine package when it is created.

Example:
    >>> from theanine.graph.source import user_frame
    >>> user_frame() is None or isinstance(user_frame().lineno, int)
    True
"""
from __future__ import annotations

import linecache
import os
import sys
from dataclasses import dataclass

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


@dataclass(frozen=True)
class SourceLine:
    """A place in user code: file, line number, function and the line's text."""

    filename: str
    lineno: int
    function: str

    @property
    def text(self) -> str:
        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self):
        where = f'File "{self.filename}", line {self.lineno}, in {self.function}'
        text = self.text
        return f"{where}\n    {text}" if text else where


def _inside_theanine(filename):
    # Tests and examples live outside the package, so they count as user code.
    return filename.startswith(_PACKAGE_DIR) or filename.startswith("<theanine")


def user_frame():
    """Return the :class:`SourceLine` of the innermost frame outside theanine."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _inside_theanine(filename) and not filename.startswith("<frozen"):
            return SourceLine(filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None


def describe(source):
    """Text for an error message that points at ``source`` (may be None)."""
    if source is None:
        return ""
    return f"\n  built at {source}"
