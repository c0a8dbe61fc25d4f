"""Step through a `trace_calls` trace by hand: the notebook form of the lecture's trace viewer.

`trace_step_html(trace, step)` draws one moment of a `lecture_utils.trace.Trace` as HTML: the
function's source with the line that just ran marked (when the source is given), the watched
variables after that line (values that changed are highlighted), and the table of steps so far
with the current row highlighted. `trace_stepper(trace)` puts a slider and ◀ ▶ buttons above it.

    trace = trace_calls(total_of, [1, 2, 3])
    trace_step_html(trace, 3)   # after `total += x` ran for the first time: total = 1, x = 1
    trace_stepper(trace, source=total_of)

Deliberate simplifications: one frame (what `trace_calls` records); values are shown by `repr`;
long traces show only the last `max_rows` rows of the table up to the current step.
"""
from __future__ import annotations

import html
import inspect
import textwrap
from typing import Any, Callable

from ..trace import Trace

__all__ = ["trace_step_html", "trace_stepper"]

_CURRENT = "background:#fff3b0"
_CHANGED = "background:#ffd6a5;font-weight:bold"
_CELL = "padding:1px 8px;text-align:left;white-space:pre"
_TABLE = '<table style="border-collapse:collapse;margin:4px 0;font-family:monospace">'


def _source_text(source: str | Callable | None) -> str | None:
    """The traced function's source as text (a function is read with `inspect.getsource`)."""
    if source is None or isinstance(source, str):
        return source
    try:
        return textwrap.dedent(inspect.getsource(source))
    except (OSError, TypeError) as err:
        raise ValueError(f"读不到 {source!r} 的源代码；请直接传入源代码字符串（source=...）") from err


def _check_step(trace: Trace, step: Any) -> int:
    if not isinstance(trace, Trace):
        raise TypeError(f"需要 trace_calls(...) 返回的 Trace，而你给的是 {type(trace).__name__}")
    if not trace.steps:
        raise ValueError("这个 Trace 一步也没有记录：被跟踪的函数没有执行任何一行")
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= len(trace.steps):
        raise ValueError(f"step 应该是 1 到 {len(trace.steps)} 之间的整数，而你给的是 {step!r}")
    return step


def _show(values: dict[str, Any], name: str) -> str:
    """A watched value as text: its repr, or '' while the variable does not exist yet."""
    return repr(values[name]) if name in values else ""


def _changed(trace: Trace, step: int) -> set[str]:
    """Watched names whose value after `step` differs from the value after the step before."""
    now = trace.steps[step - 1].values
    before = trace.steps[step - 2].values if step > 1 else {}
    return {n for n in trace.names if _show(now, n) != _show(before, n)}


def _listing(source: str, line: int) -> str:
    """The source with line numbers (def line = 1) and the current line marked ▶."""
    rows = []
    for i, text in enumerate(source.rstrip("\n").splitlines(), 1):
        here = i == line
        style = f' style="{_CURRENT}"' if here else ""
        rows.append(f"<span{style}>{'▶' if here else ' '} {i:>3}  {html.escape(text)}</span>")
    return ('<pre style="margin:4px 0;padding:4px;border:1px solid #ddd;line-height:1.35">'
            + "\n".join(rows) + "</pre>")


def _environment(trace: Trace, step: int, changed: set[str]) -> str:
    """The watched variables after the current step (the viewer's environment panel)."""
    values = trace.steps[step - 1].values
    cells = []
    for name in trace.names:
        style = _CHANGED if name in changed else ""
        shown = html.escape(_show(values, name)) or "（尚未赋值）"
        cells.append(f'<tr><td style="{_CELL}">{html.escape(name)}</td>'
                     f'<td style="{_CELL}' + (f";{style}" if style else "") + f'">{shown}</td></tr>')
    return (_TABLE + '<tr>'
            f'<th style="{_CELL}">变量</th><th style="{_CELL}">执行完这一行后的值</th></tr>'
            + "".join(cells) + "</table>")


def _steps_table(trace: Trace, step: int, max_rows: int) -> str:
    """Rows 1..step of the trace table; the current row highlighted, changed values bold."""
    first = max(1, step - max_rows + 1)
    header = "".join(f'<th style="{_CELL}">{h}</th>' for h in ("步", "行", "代码", *map(html.escape, trace.names)))
    body = []
    for i in range(first, step + 1):
        s = trace.steps[i - 1]
        changed = _changed(trace, i)
        cells = [str(i), str(s.line), html.escape(s.code)]
        tds = "".join(f'<td style="{_CELL}">{c}</td>' for c in cells)
        tds += "".join(f'<td style="{_CELL}' + (";font-weight:bold" if n in changed else "") + f'">'
                       f"{html.escape(_show(s.values, n))}</td>" for n in trace.names)
        row_style = f' style="{_CURRENT}"' if i == step else ""
        body.append(f"<tr{row_style}>{tds}</tr>")
    note = f"<div>（前面还有 {first - 1} 步没有显示）</div>" if first > 1 else ""
    return (note + _TABLE
            + f"<tr>{header}</tr>" + "".join(body) + "</table>")


def trace_step_html(trace: Trace, step: int, source: str | Callable | None = None, *,
                    max_rows: int = 20) -> str:
    """HTML for one step of `trace` (1-based): source listing (if given), watched values, steps so far."""
    step = _check_step(trace, step)
    if not isinstance(max_rows, int) or max_rows < 1:
        raise ValueError(f"max_rows 应该是正整数，而你给的是 {max_rows!r}")
    current = trace.steps[step - 1]
    changed = _changed(trace, step)
    title = (f"<div><b>第 {step} / {len(trace.steps)} 步</b>：刚执行完第 {current.line} 行 "
             f"<code>{html.escape(current.code)}</code></div>")
    text = _source_text(source)
    parts = [title]
    if text is not None:
        parts.append(_listing(text, current.line))
    if trace.names:
        parts.append(_environment(trace, step, changed))
    parts.append(_steps_table(trace, step, max_rows))
    return '<div class="lu-trace-step">' + "".join(parts) + "</div>"


def trace_stepper(trace: Trace, source: str | Callable | None = None, *, step: int | None = None,
                  max_rows: int = 20):
    """A slider (plus ◀ ▶ buttons) over the steps of `trace`; opens at `step` (default: the last).

    Returns the widget box; its first child holds ◀, the slider and ▶ (`box.children[0].children[1]`
    is the slider). Without a running kernel the opening step stays visible as plain HTML.
    """
    import ipywidgets as widgets

    from . import live

    n = len(trace.steps) if isinstance(trace, Trace) else 0
    start = _check_step(trace, n if step is None else step)
    text = _source_text(source)  # read once, not on every slider move
    trace_step_html(trace, start, text, max_rows=max_rows)  # a bad argument fails before any widget
    slider = widgets.IntSlider(value=start, min=1, max=n, description="步骤", continuous_update=True)
    box = live({"step": slider}, lambda step: trace_step_html(trace, step, text, max_rows=max_rows))
    back = widgets.Button(description="◀", tooltip="上一步", layout=widgets.Layout(width="3em"))
    forward = widgets.Button(description="▶", tooltip="下一步", layout=widgets.Layout(width="3em"))
    back.on_click(lambda _button: setattr(slider, "value", max(slider.min, slider.value - 1)))
    forward.on_click(lambda _button: setattr(slider, "value", min(slider.max, slider.value + 1)))
    box.children = (widgets.HBox([back, slider, forward]),)
    return box
