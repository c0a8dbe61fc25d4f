"""The shared self-check machinery: right answers pass, wrong ones get a hint, placeholders wait."""
import lecture_utils
from lecture_utils.exercises import check_all, check_function, check_value, compare
from lecture_utils.tokenizers import toy_bpe


def test_value_right_wrong_and_unanswered():
    assert check_value(20 / 12, 1.667, rel_tol=1e-3)
    wrong = check_value(12 / 20, 1.667, rel_tol=1e-3, hint="字节数 / 词元数")
    assert not wrong and "偏小" in repr(wrong) and "字节数 / 词元数" in repr(wrong)
    assert "1.667" not in repr(wrong)  # the expected value is never revealed
    assert not check_value(..., 1) and "还没有作答" in repr(check_value(None, 1))
    assert not check_value("1.667", 1.667) and not check_value(True, 1)
    assert check_value([1, 2], (1, 2)) and not check_value([1, 2], [2, 1])


def test_function_cases_report_the_failing_input_and_errors():
    cases = [((3,), 6), ((0,), 0), ((-1,), -2)]
    assert check_function(lambda x: 2 * x, cases)
    assert check_function(lambda x: x + x, cases)  # any correct spelling passes
    bad = check_function(lambda x: abs(2 * x), cases, hint="负数呢？")
    assert not bad and "第 3 个" in repr(bad) and "负数呢？" in repr(bad)
    crash = check_function(lambda x: 6 // x * x if x else 1 // x, cases)
    assert not crash and "ZeroDivisionError" in repr(crash)
    assert not check_function(5, cases) and not check_function(..., cases)


def test_compare_and_check_all():
    assert compare({"a": [1.0, 2.0]}, {"a": [1.0, 2.0 + 1e-12]}, rel_tol=1e-9)
    assert not compare(1, True) and compare(float("nan"), float("nan"))
    assert check_all([check_value(1, 1), check_value(2, 2)])
    assert "偏大" in repr(check_all([check_value(1, 1), check_value(3, 2)]))


def test_edit_source_copy_runs_on_its_own(capsys):
    cell = lecture_utils.edit_source(toy_bpe.merge)
    assert "lecture_utils.tokenizers.toy_bpe.merge" in capsys.readouterr().out
    namespace = {}
    exec(compile(cell, "<cell>", "exec"), namespace)
    assert namespace["merge"]([1, 2, 3, 1, 2], (1, 2), 9) == [9, 3, 9]
    edited = cell.replace("def merge(", "def merge_edited(")
    exec(compile(edited, "<cell>", "exec"), namespace)
    assert namespace["merge_edited"]([1, 1, 1], (1, 1), 9) == [9, 1]


def test_edit_source_of_a_class_brings_its_imports():
    from lecture_utils import model
    cell = lecture_utils.edit_source(model.RMSNorm)
    namespace = {}
    exec(compile(cell, "<cell>", "exec"), namespace)
    import torch
    x = torch.randn(2, 3, 8)
    mine, theirs = namespace["RMSNorm"](8), model.RMSNorm(8)
    assert torch.equal(mine(x), theirs(x))
