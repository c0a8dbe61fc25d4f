"""Notebook 00's exercise checks: right answers (several spellings) pass, wrong ones get a hint."""
import pytest

from lecture_utils.exercises import ex00
from lecture_utils.references import REFERENCES


# --- exercise 1: a traced running maximum ---------------------------------------------------------

def max_loop(xs):
    best = xs[0]  # @inspect best
    for x in xs[1:]:
        if x > best:
            best = x
    return best


def max_builtin_step(xs):
    best = xs[0]  # @inspect best
    for x in xs:
        best = max(best, x)
    return best


def max_index(xs):
    best = None  # @inspect best
    for i in range(len(xs)):
        if best is None or xs[i] >= best:
            best = xs[i]
    return best


@pytest.mark.parametrize("fn", [max_loop, max_builtin_step, max_index])
def test_running_max_accepts_several_spellings(fn):
    verdict = ex00.check_running_max(fn)
    assert verdict.ok, verdict.message
    assert "✅" in repr(verdict)


def no_inspect(xs):
    best = xs[0]
    for x in xs:
        best = max(best, x)
    return best


def returns_last(xs):
    best = xs[0]  # @inspect best
    for x in xs:
        best = x
    return best


def tracks_min(xs):
    best = xs[0]  # @inspect best
    for x in xs:
        if x < best:
            best = x
    return max(xs)


def starts_at_zero(xs):
    best = 0  # @inspect best
    for x in xs:
        if x > best:
            best = x
    return best


def crashes(xs):
    best = xs[len(xs)]  # @inspect best
    return best


@pytest.mark.parametrize("fn, words", [
    (no_inspect, "# @inspect best"),
    (returns_last, "最大值"),
    (tracks_min, "更大"),
    (starts_at_zero, "初值"),
    (crashes, "IndexError"),
    (max, "def"),
    (42, "def"),
])
def test_running_max_rejects_wrong_functions(fn, words):
    verdict = ex00.check_running_max(fn)
    assert not verdict.ok
    assert "❌" in verdict.message and words in verdict.message


def test_running_max_wrong_messages_point_at_the_problem():
    assert "# @inspect best" in ex00.check_running_max(no_inspect).message
    assert "return best" in ex00.check_running_max(returns_last).message
    assert "IndexError" in ex00.check_running_max(crashes).message


def test_running_max_unanswered():
    assert "还没有作答" in ex00.check_running_max(...).message


# --- exercise 2: cluster time ---------------------------------------------------------------------

def test_cluster_time_right_answers():
    hours = 3.1e23 / (200_000 * 989e12 * 0.2) / 3600
    days = 3.1e23 / (1_000 * 989e12 * 0.2) / 86400
    assert ex00.check_cluster_time(hours, days).ok
    assert ex00.check_cluster_time(round(hours, 1), round(days)).ok  # rounded answers are fine
    assert ex00.check_cluster_time(2.2, 18.1).ok


@pytest.mark.parametrize("hours, days, hint", [
    (2.18 * 60, 18.1, "分钟"),            # minutes given for hours
    (2.18, 18.1 * 24, "小时"),             # hours given for days
    (2.18 / 2, 18.1, "989"),              # sparse peak
    (2.18 * 2, 18.1, "0.2"),              # MFU 10%
    (1.09, 9.07, "989"),
    (3.0, 18.1, "时间 ="),
    ("2 小时", 18.1, "一个数"),
])
def test_cluster_time_wrong_answers_get_a_hint(hours, days, hint):
    verdict = ex00.check_cluster_time(hours, days)
    assert not verdict.ok
    assert hint in verdict.message


def test_cluster_time_does_not_reveal_the_answer():
    message = ex00.check_cluster_time(5.0, 18.1).message
    assert "2.18" not in message and "2.2" not in message


def test_cluster_time_unanswered():
    assert "还没有作答" in ex00.check_cluster_time(..., 18.1).message


# --- exercise 3: references from 2024 on ----------------------------------------------------------

RECENT = [k for k, r in REFERENCES.items() if r.year >= 2024]


def test_recent_references_right_in_any_form():
    assert RECENT, "the references should contain entries from 2024 on"
    assert ex00.check_recent_references(RECENT).ok
    assert ex00.check_recent_references(set(reversed(RECENT))).ok
    assert ex00.check_recent_references([REFERENCES[k] for k in RECENT]).ok
    assert ex00.check_recent_references(k for k in RECENT).ok


def test_recent_references_excluding_2024_gets_the_inclusive_hint():
    after = [k for k, r in REFERENCES.items() if r.year > 2024]
    verdict = ex00.check_recent_references(after)
    assert not verdict.ok and "2024 年本身也算" in verdict.message


def test_recent_references_extra_and_unknown_keys():
    old = next(k for k, r in REFERENCES.items() if r.year < 2024)
    assert "多了 1 条" in ex00.check_recent_references(RECENT + [old]).message
    assert "不是 REFERENCES 里的键" in ex00.check_recent_references(RECENT + ["GPT-5"]).message
    assert "list" in ex00.check_recent_references("gpt3").message
    assert "还没有作答" in ex00.check_recent_references(None).message
