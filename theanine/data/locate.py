"""Where dataset files are looked for, and which found file may be used.

The search path, in order:

1. the ``root`` argument of the loader, when given;
2. ``$THEANINE_DATA``, when set;
3. the user cache, ``$XDG_CACHE_HOME/theanine`` or else ``~/.cache/theanine``
   (downloads go here);
4. Debian's dataset folder, ``/usr/share/datasets`` (``dataset-fashion-mnist``
   installs ``/usr/share/datasets/fashion-mnist/``).

In each folder a file is looked for first in the dataset's subfolder
(``ROOT/mnist/train-images-idx3-ubyte.gz``), then directly in the folder
(``ROOT/train-images-idx3-ubyte.gz``). A file is used only if its sha256 is pinned.

    >>> from theanine.data.locate import search_path
    >>> [label for label, _ in search_path('/data')][:1]
    ['root argument']
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

DEBIAN_DATASETS = Path("/usr/share/datasets")


def cache_dir():
    """Return the user cache folder of theanine (it may not exist yet).

    ``$XDG_CACHE_HOME/theanine`` when that variable holds an absolute path (as the
    XDG spec asks), else ``~/.cache/theanine``.

    Example:
        >>> from theanine.data import cache_dir
        >>> cache_dir().name
        'theanine'
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "theanine"


def search_path(root=None):
    """Return the folders searched for data files, in order, as ``(label, Path)`` pairs.

    Example:
        >>> from theanine.data import search_path
        >>> labels = [label for label, _ in search_path()]
        >>> labels[-2:]
        ['user cache', 'Debian datasets']
    """
    places = []
    if root is not None:
        places.append(("root argument", Path(root).expanduser()))
    if os.environ.get("THEANINE_DATA"):
        places.append(("$THEANINE_DATA", Path(os.environ["THEANINE_DATA"]).expanduser()))
    places.append(("user cache", cache_dir()))
    places.append(("Debian datasets", DEBIAN_DATASETS))
    return places


def sha256_file(path):
    """Return the sha256 hex digest of a file, read in 1 MiB chunks.

    Example:
        >>> import tempfile, os
        >>> from theanine.data.locate import sha256_file
        >>> path = os.path.join(tempfile.mkdtemp(), 'empty')
        >>> open(path, 'wb').close()
        >>> sha256_file(path)[:16]
        'e3b0c44298fc1c14'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_file(info, name, places, pinned):
    """Find the first copy of ``name`` whose sha256 is pinned.

    Returns ``(path, sha256, skipped)``; ``path`` and ``sha256`` are None when no
    copy fits. ``skipped`` describes the copies passed over for a wrong sha256. A
    damaged copy in theanine's own download folder is deleted, so that it is fetched
    again; copies anywhere else belong to the user and are never touched.

    Example:
        >>> from theanine.data.locate import find_file, search_path
        >>> from theanine.data.registry import MNIST
        >>> find_file(MNIST, 'no-such-file.gz', search_path('/nonexistent'), ())
        (None, None, [])
    """
    own_folder = cache_dir() / info.subdir
    skipped = []
    for _, folder in places:
        for path in (folder / info.subdir / name, folder / name):
            if not path.is_file():
                continue
            digest = sha256_file(path)
            if digest in pinned:
                return path, digest, skipped
            if path.parent == own_folder:
                path.unlink()
                skipped.append(f"{path}: sha256 {digest} is not the pinned value; "
                               "deleted from the cache")
            else:
                skipped.append(f"{path}: sha256 {digest} is not a pinned {info.title} "
                               f"value for {name}; ignored")
    return None, None, skipped
