"""The line tracer (lecture_utils.trace): the lecture's `@inspect` demo, in a notebook-friendly form."""
from __future__ import annotations

import sys

import pytest
from hypothesis import given, strategies as st

from lecture_utils.trace import inspect_names, trace_calls


def total_of(xs):
    total = 0  # @inspect total
    for x in xs:  # @inspect x
        total += x
    return total


def helper(n):
    return n * 2


def calls_helper(n):
    y = helper(n)  # @inspect y
    y += 1
    return y


def test_lecture_demo_total_0_1_3_6():
    trace = trace_calls(total_of, [1, 2, 3])
    assert trace.result == 6
    assert trace.names == ("total", "x")
    assert trace.history("total") == [0, 1, 3, 6]
    assert trace.history("x") == [1, 2, 3]
    assert [s.line for s in trace.steps] == [2, 3, 4, 3, 4, 3, 4, 3, 5]
    assert trace.steps[0].code == "total = 0  # @inspect total"
    assert trace.steps[0].values == {"total": 0}  # x is not bound yet


def test_repr_is_a_table():
    lines = repr(trace_calls(total_of, [1, 2])).splitlines()
    assert lines[0].split() == ["step", "line", "code", "total", "x"]
    assert len(lines) == 1 + 7


def test_only_the_traced_frame_is_recorded():
    trace = trace_calls(calls_helper, 5)
    assert trace.result == 11 and trace.history("y") == [10, 11]
    assert {s.code for s in trace.steps} == {"y = helper(n)  # @inspect y", "y += 1", "return y"}


def test_snapshots_are_copies():
    def grow():
        xs = []  # @inspect xs
        xs.append(1)
        xs.append(2)
        return xs

    assert trace_calls(grow).history("xs") == [[], [1], [1, 2]]


def test_previous_tracer_is_restored_and_errors_propagate():
    before = sys.gettrace()
    with pytest.raises(ZeroDivisionError):
        trace_calls(lambda: 1 / 0, watch=())
    assert sys.gettrace() is before


def test_explicit_watch_and_unknown_name():
    trace = trace_calls(total_of, [4], watch=["total"])
    assert trace.names == ("total",)
    with pytest.raises(KeyError, match="not watched"):
        trace.history("x")


def test_inspect_names_and_bad_inputs():
    assert inspect_names(total_of) == ("total", "x")
    with pytest.raises(TypeError, match="plain Python function"):
        trace_calls(len, [1])


@given(st.lists(st.integers(-100, 100), max_size=8))
def test_history_is_the_prefix_sums(xs):
    sums, acc = [0], 0
    for x in xs:
        acc += x
        if acc != sums[-1]:
            sums.append(acc)
    trace = trace_calls(total_of, xs)
    assert trace.result == sum(xs) and trace.history("total") == sums


def test_watch_as_a_single_str_is_a_clear_error():
    with pytest.raises(TypeError, match=r"write watch=\['total'\]"):
        trace_calls(total_of, [4], watch="total")
