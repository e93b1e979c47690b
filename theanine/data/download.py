"""Downloading one file from a list of mirrors, keeping it only if its sha256 is pinned.

Bytes go to a hidden temporary file in the target folder and are renamed onto the
final name only after the checksum matches, so an interrupted or wrong download
never leaves a file that a later load could mistake for a good one.

    >>> from theanine.data.download import fetch
    >>> fetch('x.gz', '/tmp', mirrors=[], pinned=())
    Traceback (most recent call last):
    ...
    theanine.data.errors.DownloadError: x.gz: no mirror to download from
"""
from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from .errors import DownloadError

TIMEOUT_S = 30.0
# Below this size a progress bar would only flash by.
PROGRESS_MIN_BYTES = 1 << 20
_CHUNK = 1 << 16
# Some hosts answer 403 to urllib's default "Python-urllib/3.x" agent.
_USER_AGENT = "theanine-data"


def fetch(name, target_dir, mirrors, pinned, timeout=TIMEOUT_S):
    """Download ``name`` into ``target_dir`` from the first mirror whose bytes are pinned.

    Each mirror URL is the mirror plus the file name. A mirror that fails (HTTP
    error, refused or dropped connection, timeout, wrong bytes) is recorded and the
    next one is tried; if none succeeds, :class:`DownloadError` lists every attempt.
    Returns the path of the verified file.

    Example:
        >>> from theanine.data.download import fetch
        >>> fetch('x.gz', '/tmp', ['http://127.0.0.1:9/'], ('0' * 64,))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        theanine.data.errors.DownloadError: x.gz: every mirror failed:
          http://127.0.0.1:9/x.gz: <urlopen error [Errno ...] Connection refused>
    """
    if not mirrors:
        raise DownloadError(f"{name}: no mirror to download from")
    target_dir = Path(target_dir)
    attempts = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
            temp, digest = _download_to_temp(url, target_dir, name, timeout)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
            attempts.append(f"{url}: {err}")
            continue
        if digest not in pinned:
            temp.unlink()
            attempts.append(f"{url}: sha256 mismatch, got {digest}, expected "
                            f"{' or '.join(pinned)}; the download was discarded")
            continue
        final = target_dir / name
        os.replace(temp, final)
        return final
    raise DownloadError(f"{name}: every mirror failed:\n  " + "\n  ".join(attempts))


def _download_to_temp(url, target_dir, name, timeout):
    """Stream ``url`` into a new temporary file; return its path and sha256."""
    fd, temp = tempfile.mkstemp(dir=target_dir, prefix=f".{name}.", suffix=".part")
    try:
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as r:
            total = r.length
            digest = hashlib.sha256()
            small = total is None or total < PROGRESS_MIN_BYTES
            received = 0
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=name, disable=small, leave=False) as bar:
                for chunk in iter(lambda: r.read(_CHUNK), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        # http.client's read(n) returns b"" when the server hangs up early, even short
        # of Content-Length; a body sent without that header and cut short fails the
        # checksum instead.
        if total is not None and received != total:
            raise ConnectionError(f"connection closed after {received} of {total} bytes")
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Path(temp), digest.hexdigest()
