"""TinyStories (Eldan & Li 2023, arXiv:2305.07759), downloaded on request into a per-user cache.

`tinystories("valid")` returns the path of ``TinyStoriesV2-GPT4-valid.txt`` (22.5 MB; ``"train"`` is
2.23 GB), downloading it once from the Hugging Face dataset ``roneneldan/TinyStories`` at a pinned
revision. The file is streamed to ``<name>.part`` in the cache folder with a tqdm progress bar, checked
(size and sha256) and only then renamed into place, so the cache never holds a wrong file. A download
cut off half way keeps its ``.part`` and the next call resumes it with an HTTP Range request (or starts
over if the server ignores ranges). A second call with the file in the cache makes no request; it
checks the size only (hashing 2 GB on every call would be slow).

Where the checksums come from: the byte sizes and sha256 values below are those recorded independently
by many public CS336 assignment repositories for this revision (they agree with each other and one
notes that they equal the Hub's Git LFS object ids); the Hub page itself was not reachable from here.

Cache folder: ``tinystories/`` inside the per-user cache of ``lecture_utils.cache.user_cache_dir()``
(``$LECTURE_UTILS_CACHE`` if set, else ``~/.cache/lecture_utils`` or the platform's equivalent). Never the repo.
The dataset's license is CDLA-Sharing-1.0; it is not redistributed by this project.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..cache import user_cache_dir

__all__ = ["tinystories", "DEFAULT_URL", "TINYSTORIES_FILES", "default_cache_dir"]

REVISION = "f54c09fd23315a6f9c86f9dc80f725de7d8f9c64"
DEFAULT_URL = f"https://huggingface.co/datasets/roneneldan/TinyStories/resolve/{REVISION}"
# split -> (file name, size in bytes, sha256)
TINYSTORIES_FILES = {
    "valid": ("TinyStoriesV2-GPT4-valid.txt", 22_502_601,
              "6874bae9a4c1a4e7edcf0e53b86c17817e9cf881fc75ff2368da457b80c0585d"),
    "train": ("TinyStoriesV2-GPT4-train.txt", 2_227_753_162,
              "6418d412de72888f52b5142c761ac21a582f7d1166f0bfbdb5f03ccfdec90443"),
}
_CHUNK = 1 << 20


def default_cache_dir() -> Path:
    """Per-user cache folder for downloads (see `lecture_utils.cache` for the lookup order)."""
    return user_cache_dir()


def _offline_help(url: str, dest: Path) -> str:
    """What to do when the download cannot happen here."""
    return (f"To work offline, download {url} on a machine with internet access, copy it to {dest} "
            "(it is then used without a download) or anywhere else and read it with "
            "lecture_utils.data.load_text(path). The notebooks also run on the embedded corpus "
            "(lecture_utils.data.embedded_corpus()), which needs no download.")


def tinystories(split: str = "valid", cache_dir: str | os.PathLike | None = None, base_url: str = DEFAULT_URL,
                progress: bool = True, timeout: float = 30.0) -> Path:
    """Path of the TinyStoriesV2-GPT4 file for split ("valid" or "train"), downloading it once if needed."""
    if split not in TINYSTORIES_FILES:
        raise ValueError(f"unknown TinyStories split {split!r}; choose one of {', '.join(map(repr, TINYSTORIES_FILES))}")
    name, size, sha256 = TINYSTORIES_FILES[split]
    folder = (Path(cache_dir) if cache_dir is not None else default_cache_dir() / "tinystories").expanduser()
    dest = folder / name
    url = f"{base_url.rstrip('/')}/{name}"
    if dest.exists():
        if dest.stat().st_size != size:
            raise ValueError(f"cached {dest} has {dest.stat().st_size} bytes, expected {size}: "
                             "delete it and call tinystories() again to download a fresh copy")
        return dest
    folder.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(name + ".part")
    _download(url, part, size, progress, timeout, dest)
    digest = _sha256(part)
    if digest != sha256:
        part.unlink()
        raise ValueError(f"checksum mismatch for {url}: got sha256 {digest}, expected {sha256}; the download "
                         "was deleted. The server sent a different file; try again later or another mirror "
                         "(base_url=...).")
    os.replace(part, dest)
    return dest


def _sha256(path: Path) -> str:
    """sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _download(url: str, part: Path, size: int, progress: bool, timeout: float, dest: Path) -> None:
    """Stream url into part, resuming from part's current length when the server allows it."""
    # Imported here: http and tqdm cost ~50 ms, and most users never download.
    import http.client
    import urllib.error
    import urllib.request

    from tqdm.auto import tqdm

    have = part.stat().st_size if part.exists() else 0
    if have > size:  # not a prefix of the expected file: start over
        part.unlink()
        have = 0
    if have == size:  # a previous run finished streaming but was stopped before the check
        return
    request = urllib.request.Request(url, headers={"User-Agent": "lecture_utils"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        raise ConnectionError(f"download of {url} failed: HTTP {err.code} {err.reason}. "
                              f"{_offline_help(url, dest)}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ConnectionError(f"cannot reach {url} ({reason}). {_offline_help(url, dest)}") from None
    with response:
        resumed = have > 0 and response.status == 206
        if not resumed:
            have = 0  # the server sent the whole file
        length = response.headers.get("Content-Length")
        if length is not None and have + int(length) != size:
            part.unlink(missing_ok=True)
            raise ValueError(f"{url} would send {have + int(length)} bytes, expected {size}: not the pinned "
                             "file, nothing kept. Check base_url.")
        bar = tqdm(total=size, initial=have, unit="B", unit_scale=True, desc=dest.name, disable=not progress)
        try:
            with open(part, "ab" if resumed else "wb") as fh:
                while chunk := response.read(_CHUNK):
                    fh.write(chunk)
                    bar.update(len(chunk))
        except (OSError, http.client.HTTPException) as err:  # dropped: keep the .part so the next call resumes
            raise ConnectionError(f"download of {url} was interrupted ({err}); call tinystories() again to "
                                  f"resume from {part.stat().st_size} bytes. {_offline_help(url, dest)}") from None
        finally:
            bar.close()
    got = part.stat().st_size
    if got > size:
        part.unlink()
        raise ValueError(f"{url} sent {got} bytes, expected {size}: not the pinned file, nothing kept")
    if got < size:
        raise ConnectionError(f"download of {url} ended after {got} of {size} bytes; call tinystories() again "
                              f"to resume. {_offline_help(url, dest)}")
