"""What each dataset is made of: file names, pinned sha256 values, download mirrors.

``SHA256`` and ``MIRRORS`` are plain module-level dicts, read at every load, so a
test (or a user with a private mirror) can replace an entry:

    >>> from theanine.data import registry
    >>> registry.MNIST.idx_files[0]
    'train-images-idx3-ubyte.gz'
    >>> registry.SHA256['mnist']['t10k-labels-idx1-ubyte.gz'][0][:12]
    'f7ae60f92e00'
    >>> all(url.startswith('https://') for url in registry.MIRRORS['mnist'])
    True
"""
from __future__ import annotations

from dataclasses import dataclass

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
IDX_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
TUTORIAL_PICKLE = "mnist.pkl.gz"


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset's identity: the key into ``SHA256``/``MIRRORS``, and its file names.

    ``subdir`` is the folder the files sit in under any search root
    (``ROOT/mnist/train-images-idx3-ubyte.gz``); ``pickle_file`` is the
    tutorials' ready-split pickle, when the dataset has one.

    Example:
        >>> from theanine.data.registry import FASHION_MNIST
        >>> FASHION_MNIST.subdir, FASHION_MNIST.pickle_file
        ('fashion-mnist', None)
    """

    name: str
    title: str
    subdir: str
    pickle_file: str | None
    idx_files: tuple = IDX_FILES


MNIST = DatasetInfo("mnist", "MNIST", "mnist", TUTORIAL_PICKLE)
FASHION_MNIST = DatasetInfo("fashion-mnist", "Fashion-MNIST", "fashion-mnist", None)

# Accepted sha256 values of each file as stored (still gzipped). A tuple, because one
# dataset can ship as different but equally trusted byte streams (see Fashion-MNIST).
SHA256 = {
    "mnist": {
        # /work/shared/data/README.md. The four IDX files are LeCun's original bytes.
        TRAIN_IMAGES: ("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",),
        TRAIN_LABELS: ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",),
        TEST_IMAGES: ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",),
        TEST_LABELS: ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",),
        # The rebuilt tutorial pickle; the deeplearning.net original (md5 a02cd19f...)
        # has no sha256 we could check, so it is not pinned (load the IDX files instead).
        TUTORIAL_PICKLE: ("fedfd65eb5d93d5e9f711fa402d0cb28cb80e284e612ecb022b1161363d45872",),
    },
    "fashion-mnist": {
        # First value: Zalando's files as served by the mirrors below (official md5s
        # 8d4fb7e6..., 25c81989..., bef4ecab..., bb300cfd...). Second value: the files
        # of Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1, which holds the
        # same deflate streams with the gzip file name dropped and a new mtime.
        TRAIN_IMAGES: ("3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                       "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
        TRAIN_LABELS: ("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                       "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
        TEST_IMAGES: ("346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                      "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
        TEST_LABELS: ("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                      "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
    },
}

# Tried in order; a file's URL is the mirror plus its name. Only the IDX files are
# downloaded: they give the tutorial split too, equal to the pickle element for element.
MIRRORS = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ],
    "fashion-mnist": [
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
    ],
}


def pins(info, name):
    """Return the tuple of accepted sha256 hex digests of file ``name`` of a dataset.

    A file without an entry has no accepted value, so no copy of it is ever used.

    Example:
        >>> from theanine.data.registry import MNIST, pins
        >>> pins(MNIST, 'mnist.pkl.gz')[0][:8]
        'fedfd65e'
    """
    return tuple(SHA256[info.name].get(name, ()))
