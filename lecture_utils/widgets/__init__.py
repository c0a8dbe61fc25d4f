"""Small ipywidgets explorers for the notebooks: controls above an HTML view that follows them.

Each explorer is a widget-free function that returns HTML for one state (callable anywhere, tested)
plus a thin widget wrapper built with `live`. The opening state is displayed as ordinary `text/html`
output, so a committed notebook (and nbval) shows something meaningful without a kernel; in a
running JupyterLab the controls rewrite that same output in place.
"""
from __future__ import annotations

from typing import Callable, Mapping

__all__ = ["live"]


def live(controls: Mapping[str, object], render: Callable[..., str], *, columns: bool = False):
    """Show `controls` (name -> ipywidget) and, below them, `render(**values)` as HTML that follows them.

    Returns the controls' box, so a notebook (or a test) can set `box.children[i].value` and see the
    view change. The first view is rendered eagerly, so a bad opening state fails loudly.
    """
    import ipywidgets as widgets
    from IPython.display import HTML, display

    def values() -> dict:
        return {name: w.value for name, w in controls.items()}

    box = (widgets.HBox if columns else widgets.VBox)(list(controls.values()))
    display(box)
    handle = display(HTML(render(**values())), display_id=True)

    def update(_change=None) -> None:
        handle.update(HTML(render(**values())))

    for w in controls.values():
        w.observe(update, names="value")
    return box
