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
import textwrap
import types

__all__ = ["setup", "show_source", "edit_source", "DEFAULT_SEED"]

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


def edit_source(obj) -> str:
    """Put an editable copy of `obj`'s source into a new cell below (JupyterLab); return that cell's text.

    The copy starts with the imports its body needs from its own module, so running the new cell
    defines a working `obj.__name__` in the notebook that shadows the package's version. The package
    itself is never changed, so the other notebooks keep the original. Outside IPython the text is
    printed instead.
    """
    module = inspect.getmodule(obj)
    if module is None or not callable(obj):
        raise TypeError(f"edit_source 需要一个模块里定义的函数或类，而不是 {type(obj).__name__}")
    source = textwrap.dedent(inspect.getsource(obj)).rstrip()
    needed = sorted((_global_names(obj) & set(vars(module))) - {obj.__name__})
    lines = [f"# {module.__name__}.{obj.__qualname__} 的可修改副本：改完后运行本格，",
             f"# 它会在本笔记本里覆盖 {obj.__name__}（包里的原版不变，其他笔记本不受影响）。",
             "from __future__ import annotations", ""]
    imports = [_import_line(name, getattr(module, name)) for name in needed if isinstance(getattr(module, name), types.ModuleType)]
    names = [name for name in needed if not isinstance(getattr(module, name), types.ModuleType)]
    if names:
        imports.append(f"from {module.__name__} import {', '.join(names)}")
    if imports:
        lines += imports + [""]
    cell = "\n".join(lines) + source + "\n"
    shell = _ipython()
    if shell is None:
        print(cell)
    else:
        shell.set_next_input(cell, replace=False)
        print(f"已在下方插入一个新格：{module.__name__}.{obj.__qualname__} 的源代码，可以直接修改后运行。")
    return cell


def _import_line(name: str, mod: types.ModuleType) -> str:
    """`import torch`, `from torch import nn` or `import numpy as np` for a module bound to `name`."""
    full = mod.__name__
    if full == name:
        return f"import {full}"
    parent, _, leaf = full.rpartition(".")
    return f"from {parent} import {leaf}" if parent and leaf == name else f"import {full} as {name}"


def _global_names(obj) -> set[str]:
    """Global names that the code of a function, or of every method of a class, refers to."""
    codes = []
    if isinstance(obj, type):
        for value in vars(obj).values():
            value = getattr(value, "__func__", value)  # staticmethod / classmethod
            for part in (value, getattr(value, "fget", None), getattr(value, "fset", None)):
                if isinstance(part, types.FunctionType):
                    codes.append(part.__code__)
        names = {base.__name__ for base in obj.__bases__}
    else:
        codes.append(obj.__code__)
        names = set()
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return names


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()
