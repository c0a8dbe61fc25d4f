"""Shared helpers for the CS336 Lecture 1 notebooks (简体中文可执行讲义).

The first code cell of every notebook is::

    import lecture_utils
    lecture_utils.setup()

`setup()` makes a run reproducible (seeds), readable (print and plot defaults, a CJK font for
Chinese labels) and offline (tiktoken's `get_encoding` reads packaged data instead of the web).
"""
from __future__ import annotations

import inspect
import random

__all__ = ["setup", "show_source", "DEFAULT_SEED"]

DEFAULT_SEED = 336


def setup(seed: int = DEFAULT_SEED) -> None:
    """Seed random/numpy/torch, set print and plot defaults, pick a CJK font, enable offline tiktoken."""
    import numpy as np
    import torch

    from . import encodings, plotting

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    torch.set_printoptions(precision=4, sci_mode=False, linewidth=100)
    try:
        import pandas as pd

        pd.set_option("display.precision", 3)
        pd.set_option("display.max_colwidth", 80)
    except ImportError:  # pandas is optional for library users
        pass
    plotting.configure_matplotlib()
    encodings.seed_tiktoken_cache()


def show_source(obj) -> None:
    """Print the source code of a function or class, so a notebook shows exactly what it runs."""
    source = inspect.getsource(obj).rstrip()
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        get_ipython = None
    if get_ipython is None or get_ipython() is None:  # a plain script: text is enough
        print(source)
        return
    display(Markdown(f"```python\n{source}\n```"))
