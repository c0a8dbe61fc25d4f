"""A tiny line-by-line tracer: the notebook form of the lecture trace viewer's ``@inspect``.

The original lecture runs under ``sys.settrace`` and records, for every executed line, the values of
the variables marked with an ``# @inspect x`` comment. ``trace_calls(f, ...)`` does the same for one
function call: it returns the function's result and one ``Step`` per executed line of ``f`` with a
snapshot of the watched variables *after* that line ran.

    def total_of(xs):
        total = 0  # @inspect total
        for x in xs:  # @inspect x
            total += x
        return total

    trace_calls(total_of, [1, 2, 3]).history("total")  ->  [0, 1, 3, 6]

Deliberate simplifications: only the traced function's own frame is recorded (not the functions it
calls); snapshots are deep copies (objects that cannot be copied are recorded by ``repr``);
the previous trace function (a debugger, coverage) is restored afterwards.
"""
from __future__ import annotations

import copy
import inspect
import linecache
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

__all__ = ["Step", "Trace", "trace_calls", "inspect_names"]

_INSPECT = re.compile(r"#[ \t]*@inspect[ \t]+([\w \t,]+)")


def inspect_names(func: Callable) -> tuple[str, ...]:
    """Variable names marked ``# @inspect a b`` (or ``a, b``) in ``func``'s source, in order."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError) as err:
        raise ValueError(f"cannot read the source of {func!r} to find '# @inspect' comments; "
                         "pass watch=('name', ...) explicitly") from err
    names: list[str] = []
    for match in _INSPECT.finditer(source):
        for name in re.split(r"[\s,]+", match.group(1).strip()):
            if name and name not in names:
                names.append(name)
    return tuple(names)


@dataclass(frozen=True)
class Step:
    """One executed line: its number inside the function (def line = 1), its code, the values after."""

    line: int
    code: str
    values: dict[str, Any]


@dataclass
class Trace:
    """The result of a traced call plus its steps; ``repr`` is a small table."""

    result: Any
    names: tuple[str, ...]
    steps: list[Step] = field(default_factory=list)

    def history(self, name: str) -> list[Any]:
        """The successive distinct values a variable took (consecutive repeats dropped)."""
        if name not in self.names:
            raise KeyError(f"{name!r} was not watched; watched: {self.names}")
        out: list[Any] = []
        for step in self.steps:
            if name in step.values and (not out or out[-1] != step.values[name]):
                out.append(step.values[name])
        return out

    def rows(self) -> list[dict[str, Any]]:
        """One dict per step: step, line, code, then each watched variable ('' if not yet set)."""
        return [{"step": i, "line": s.line, "code": s.code,
                 **{n: s.values.get(n, "") for n in self.names}}
                for i, s in enumerate(self.steps, 1)]

    def __repr__(self) -> str:
        header = ["step", "line", "code", *self.names]
        body = [[str(v) for v in row.values()] for row in self.rows()]
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
        return "\n".join([fmt(header), *map(fmt, body)])


def _snapshot(frame_locals: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    out = {}
    for name in names:
        if name in frame_locals:
            try:
                out[name] = copy.deepcopy(frame_locals[name])
            except Exception:  # uncopyable objects (generators, locks): keep their repr
                out[name] = repr(frame_locals[name])
    return out


def trace_calls(func: Callable, *args: Any, watch: Iterable[str] | None = None, **kwargs: Any) -> Trace:
    """Call ``func(*args, **kwargs)`` and record watched variables after each of its lines.

    ``watch`` defaults to the names in ``# @inspect`` comments of ``func``'s source.
    """
    if not callable(func) or not hasattr(func, "__code__"):
        raise TypeError(f"trace_calls needs a plain Python function, got {type(func).__name__}")
    if isinstance(watch, str):  # tuple("total") would silently watch 't', 'o', 't', 'a', 'l'
        raise TypeError(f"watch must be a list of variable names, got the single str {watch!r};"
                        f" write watch=[{watch!r}]")
    names = tuple(watch) if watch is not None else inspect_names(func)
    code = func.__code__
    first = code.co_firstlineno
    steps: list[Step] = []
    pending: list[int] = []  # the line that is about to run; recorded once the next event arrives

    def record(frame) -> None:
        if pending:
            lineno = pending.pop()
            text = linecache.getline(code.co_filename, lineno).strip()
            steps.append(Step(lineno - first + 1, text, _snapshot(frame.f_locals, names)))

    def local_tracer(frame, event, arg):
        if event in ("line", "return"):
            record(frame)
            if event == "line":
                pending.append(frame.f_lineno)
        return local_tracer

    def global_tracer(frame, event, arg):
        return local_tracer if frame.f_code is code else None

    previous = sys.gettrace()
    sys.settrace(global_tracer)
    try:
        result = func(*args, **kwargs)
    finally:
        sys.settrace(previous)
    return Trace(result, names, steps)
