"""The trace stepper: HTML for one step of a trace_calls trace, and the slider widget around it."""
import re

import pytest

from lecture_utils.trace import trace_calls
from lecture_utils.widgets.trace import trace_step_html, trace_stepper


def total_of(xs):
    total = 0  # @inspect total
    for x in xs:  # @inspect x
        total += x
    return total


@pytest.fixture
def trace():
    return trace_calls(total_of, [1, 2, 3])


def rows(page):
    """The body rows of the steps table (the last table), as lists of cell texts."""
    table = page.rsplit("<table", 1)[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table)[1:]]


def current_row(page):
    table = page.rsplit("<table", 1)[1]
    marked = re.findall(r'<tr style="background:#fff3b0">(.*?)</tr>', table)
    assert len(marked) == 1
    return re.findall(r"<td[^>]*>(.*?)</td>", marked[0])


def test_first_step_shows_one_row_and_x_not_yet_set(trace):
    page = trace_step_html(trace, 1)
    assert rows(page) == [["1", "2", "total = 0  # @inspect total", "0", ""]]
    assert "第 1 / 9 步" in page and "（尚未赋值）" in page


def test_middle_step_table_grows_and_highlights_the_current_line(trace):
    page = trace_step_html(trace, 5)
    table = rows(page)
    assert [r[0] for r in table] == ["1", "2", "3", "4", "5"]
    assert current_row(page) == ["5", "4", "total += x", "3", "2"]
    # total changed from 1 to 3 on this step: highlighted in the environment panel; x did not change
    env = page.split("<table", 2)[1]
    assert re.search(r'font-weight:bold">3</td>', env)
    assert not re.search(r'font-weight:bold">2</td>', env)


def test_last_step_matches_the_trace_repr(trace):
    page = trace_step_html(trace, len(trace.steps))
    assert [r[3] for r in rows(page)] == [str(r["total"]) for r in trace.rows()]
    assert current_row(page)[2] == "return total"


def test_source_listing_marks_the_line_that_just_ran(trace):
    page = trace_step_html(trace, 3, source=total_of)
    marked = re.findall(r'<span style="background:#fff3b0">(.*?)</span>', page)
    assert marked == ["▶   4          total += x"]
    assert trace_step_html(trace, 3, source="def f():\n  a\n  b\n  c\n").count("▶") == 1


def test_values_are_escaped():
    def f():
        s = "<b>&</b>"  # @inspect s
        return s

    page = trace_step_html(trace_calls(f), 1)
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in page and "<b>&</b>" not in page


def test_long_traces_show_the_last_rows_and_say_so():
    t = trace_calls(total_of, list(range(30)))
    page = trace_step_html(t, 50, max_rows=10)
    assert [r[0] for r in rows(page)] == [str(i) for i in range(41, 51)]
    assert "前面还有 40 步" in page


@pytest.mark.parametrize("step", [0, 10, -1, 2.0, True, "3"])
def test_bad_step_is_refused_with_the_range(trace, step):
    with pytest.raises(ValueError, match="1 到 9"):
        trace_step_html(trace, step)


def test_not_a_trace_is_refused():
    with pytest.raises(TypeError, match="Trace"):
        trace_step_html([1, 2, 3], 1)


def test_stepper_opens_at_the_last_step_and_follows_the_slider(trace, monkeypatch):
    shown = []
    import IPython.display as display

    class Handle:
        def update(self, obj):
            shown.append(obj.data)

    def fake_display(obj, display_id=False):
        if hasattr(obj, "data"):
            shown.append(obj.data)
        return Handle() if display_id else None

    monkeypatch.setattr(display, "display", fake_display)
    box = trace_stepper(trace, source=total_of)
    back, slider, forward = box.children[0].children
    assert (slider.min, slider.max, slider.value) == (1, 9, 9)
    assert shown[-1] == trace_step_html(trace, 9, total_of)
    slider.value = 4
    assert shown[-1] == trace_step_html(trace, 4, total_of)
    back.click()
    assert slider.value == 3 and shown[-1] == trace_step_html(trace, 3, total_of)
    forward.click()
    forward.click()
    assert slider.value == 5
    slider.value = 9
    forward.click()  # already at the end: stays
    assert slider.value == 9


def test_stepper_opening_step_is_checked(trace):
    with pytest.raises(ValueError, match="1 到 9"):
        trace_stepper(trace, step=12)
