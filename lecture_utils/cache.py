"""The one per-user cache folder for everything the series downloads or derives (never the repo).

Lookup order: `$LECTURE_UTILS_CACHE`; on Windows `%LOCALAPPDATA%\\lecture_utils`; on macOS
`~/Library/Caches/lecture_utils`; elsewhere `$XDG_CACHE_HOME/lecture_utils` or `~/.cache/lecture_utils`.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def user_cache_dir(*parts: str) -> Path:
    """The per-user cache folder (or a subfolder of it); it is not created here."""
    if os.environ.get("LECTURE_UTILS_CACHE"):
        base = Path(os.environ["LECTURE_UTILS_CACHE"]).expanduser()
    elif sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"]) / "lecture_utils"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches" / "lecture_utils"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lecture_utils"
    return base.joinpath(*parts)
