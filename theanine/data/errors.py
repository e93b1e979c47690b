"""The exceptions of ``theanine.data``; every one is a :class:`DataError`.

Catch ``DataError`` to handle any problem with a data file in one place (it is a
``theanine.errors.TheanineError`` like every theanine error):

    >>> from theanine.data import DataError, DatasetNotFoundError
    >>> issubclass(DatasetNotFoundError, DataError)
    True
"""
from theanine.errors import TheanineError


class DataError(TheanineError):
    """Base class: a data file is missing, damaged, or not what it claims to be.

    Example:
        >>> from theanine.data import DataError, FormatError
        >>> isinstance(FormatError("bad magic number"), DataError)
        True
    """


class DatasetNotFoundError(DataError):
    """No usable copy of a dataset was found and none could be downloaded.

    The message lists the places searched, the files to put there with their
    sha256 values, and what every download attempt answered.

    Example:
        >>> from theanine.data import DatasetNotFoundError
        >>> str(DatasetNotFoundError("MNIST: not found"))
        'MNIST: not found'
    """


class FormatError(DataError):
    """A file's bytes do not hold what its format promises (gzip, IDX, pickle layout).

    Example:
        >>> from theanine.data import FormatError
        >>> raise FormatError("x.gz: wrong magic number")
        Traceback (most recent call last):
        ...
        theanine.data.errors.FormatError: x.gz: wrong magic number
    """


class UnsafePickleError(DataError):
    """A pickle asked for a global outside the allow-list; nothing in it was run.

    Example:
        >>> from theanine.data import UnsafePickleError
        >>> issubclass(UnsafePickleError, Exception)
        True
    """


class DownloadError(DataError):
    """Every mirror failed for one file; the message has one line per attempt.

    ``load_mnist`` turns it into a :class:`DatasetNotFoundError` that also says
    where files were looked for.

    Example:
        >>> from theanine.data.errors import DownloadError
        >>> issubclass(DownloadError, Exception)
        True
    """
