"""The BPE merge stepper: the widget-free HTML for one merge, and the slider that follows it."""
from __future__ import annotations

import html
import re

import pytest

from lecture_utils.tokenizers.toy_bpe import train_toy_bpe
from lecture_utils.widgets import merges
from lecture_utils.widgets.merges import merge_step_html, merge_stepper

CAT = "the cat in the hat"


def text_of(page: str) -> str:
    """The visible text of an HTML fragment (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_first_merge_of_the_lecture_example():
    page = merge_step_html(CAT, 1)
    shown = text_of(page)
    assert "第 1 次合并" in shown and "(116, 104)" in shown and "新 id 256 = th" in shown
    assert "出现 2 次" in shown and "4 对并列最多" in shown and "两种并列规则都选它" in shown
    assert "合并前（18 个词元" in shown and "合并后（16 个词元" in shown
    # the chosen row of the pair-count table is highlighted, and only it
    assert page.count(f'<tr style="{merges._CHOSEN}">') == 1
    assert "b&#x27;th&#x27;" in page or "b'th'" in shown


def test_step_three_matches_the_lecture_and_marks_the_new_tokens():
    params = train_toy_bpe(CAT, 3, record=True)
    page = merge_step_html(params, 3)
    shown = text_of(page)
    assert "(257, 32)" in shown and "新 id 258 = the·" in shown
    assert "合并后（12 个词元" in shown
    assert page.count(merges._NEW) == 2  # "the " occurs twice after the merge
    assert page == merge_step_html(CAT, 3)  # a text and its recorded training draw the same page


def test_the_tie_rule_is_named_when_the_rules_disagree():
    lexi = text_of(merge_step_html(CAT, 5, tie_break="lexicographic"))
    first = text_of(merge_step_html(CAT, 5))
    assert "the·h" in lexi and "按作业 1 的规则" in lexi and "讲座的规则会选 the·c" in lexi
    assert "the·c" in first and "按讲座的规则取最先出现的一对" in first


def test_sequence_before_the_first_merge_is_the_bytes():
    page = merge_step_html("aaab", 1)
    shown = text_of(page)
    assert "合并前（4 个词元" in shown and "合并后（3 个词元" in shown
    # non-overlapping, left to right: only the first two a's are marked in "aaab"
    before = page.split("合并前")[1].split("本步的字节对计数")[0]
    assert before.count(merges._CHOSEN) == 2


def test_top_limits_the_table_and_says_so():
    page = merge_step_html(CAT, 1, top=3)
    assert "只列出最常见的 3 对，共 13 对" in text_of(page)
    assert page.count("<tr") == 4  # header + 3 rows


@pytest.mark.parametrize("text, step, expected", [
    ("", 1, "一次也合并不了"),
    ("a", 1, "一次也合并不了"),
    ("ab", 2, "只能合并 1 次"),
])
def test_a_text_that_runs_out_of_pairs_says_so(text, step, expected):
    assert expected in text_of(merge_step_html(text, step))


def test_cjk_and_emoji_bytes_are_shown_as_escapes():
    shown = text_of(merge_step_html("你好你好🌍🌍", 1))
    assert "\\xe4" in shown and "\\xf0" in shown


def test_long_sequences_are_cut():
    page = merge_step_html("ab " * 400, 1)
    assert "后面还有" in text_of(page)


@pytest.mark.parametrize("bad, step, error", [
    (CAT, 0, ValueError), (CAT, True, ValueError), (CAT, 1.5, ValueError),
    (b"bytes", 1, TypeError), (123, 1, TypeError),
])
def test_bad_arguments_get_a_clear_error(bad, step, error):
    with pytest.raises(error, match="step|str|文本"):
        merge_step_html(bad, step)


def test_step_beyond_the_recorded_training_is_refused():
    with pytest.raises(ValueError, match="1 到 3 之间"):
        merge_step_html(train_toy_bpe(CAT, 3, record=True), 4)
    with pytest.raises(ValueError, match="record=True"):
        merge_step_html(train_toy_bpe(CAT, 3), 1)
    with pytest.raises(ValueError, match="tie_break"):
        merge_step_html(CAT, 1, tie_break="last")


class FakeDisplay:
    """Stands in for IPython's display: keeps every HTML view that `live` shows or updates."""

    def __init__(self):
        self.views = []

    def __call__(self, obj, display_id=False):
        if hasattr(obj, "data"):
            self.views.append(obj.data)
        return self

    def update(self, obj):
        self.views.append(obj.data)


@pytest.fixture
def shown(monkeypatch):
    import IPython.display

    fake = FakeDisplay()
    monkeypatch.setattr(IPython.display, "display", fake)
    return fake.views


def test_stepper_opens_on_the_first_merge_and_follows_its_controls(shown):
    box = merge_stepper(CAT, 6)
    text, slider, rule = box.children
    assert (slider.min, slider.max, slider.value) == (1, 6, 1)
    assert shown[-1] == merge_step_html(CAT, 1)
    slider.value = 5
    assert shown[-1] == merge_step_html(CAT, 5)
    rule.value = "lexicographic"
    assert shown[-1] == merge_step_html(CAT, 5, tie_break="lexicographic")
    text.value = "ab"  # only one merge possible: step 5 says so instead of failing
    assert "只能合并 1 次" in text_of(shown[-1])


def test_stepper_refuses_bad_arguments():
    with pytest.raises(ValueError, match="num_merges"):
        merge_stepper(CAT, 0)
    with pytest.raises(TypeError, match="str"):
        merge_stepper(b"x", 3)
    with pytest.raises(ValueError, match="tie_break"):
        merge_stepper(CAT, 3, tie_break="last")
