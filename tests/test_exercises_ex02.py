"""Notebook 02's exercise checks: right answers (several spellings) pass, wrong ones get a hint."""
import math

import pytest

from lecture_utils import flops
from lecture_utils.exercises import ex02
from lecture_utils.facts import load_web_documents

# --- exercise 1: 8 H100s, one week, MFU 30% ---

N_OPT = math.sqrt(8 * 989e12 * 0.30 * 7 * 86_400 / 120)


def test_compute_optimal_numbers():
    n, d = ex02.compute_optimal(8, 7, 0.30)
    assert math.isclose(n, N_OPT) and math.isclose(d, 20 * N_OPT)
    assert 3.4e9 < n < 3.5e9  # ≈ 3.46B parameters, 69B tokens


@pytest.mark.parametrize("n, d", [(N_OPT, 20 * N_OPT), (3.46e9, 69.2e9), (3.5e9, 70e9)])
def test_compute_optimal_right(n, d):
    assert ex02.check_compute_optimal(n, d).ok


@pytest.mark.parametrize("n, d, hint", [
    (20 * N_OPT, N_OPT, "填反了"),
    (N_OPT * math.sqrt(2), 20 * N_OPT * math.sqrt(2), "989"),
    (N_OPT * math.sqrt(4 / 3), 20 * N_OPT * math.sqrt(4 / 3), "30%"),
    (N_OPT, 10 * N_OPT, "20 倍"),
    (1e10, 2e11, "√(C/120)"),
    ("3.5B", 70e9, "一个数"),
])
def test_compute_optimal_wrong(n, d, hint):
    verdict = ex02.check_compute_optimal(n, d)
    assert not verdict.ok and hint in verdict.message
    assert "3.46" not in verdict.message


# --- exercise 3: one decode step ---

SHAPE = ex02.LLAMA2_7B


def decode_step(prompt_len):
    weight_bytes = 2 * flops.param_count(SHAPE)
    kv_bytes = 2 * 2 * SHAPE.n_layers * SHAPE.d_model * prompt_len
    step = flops.flops_per_token(SHAPE, seq_len=prompt_len + 1)["total"]
    return step / (weight_bytes + kv_bytes), kv_bytes


def decode_step_seq_len_prompt(prompt_len):  # charges prompt_len keys instead of prompt_len + 1: within 1%
    intensity, kv = decode_step(prompt_len)
    step = flops.flops_per_token(SHAPE, seq_len=prompt_len)["total"]
    return step / (2 * flops.param_count(SHAPE) + kv), kv


def decode_step_list(prompt_len):
    return list(decode_step(prompt_len))


@pytest.mark.parametrize("fn", [decode_step, decode_step_seq_len_prompt, decode_step_list])
def test_decode_step_right(fn):
    verdict = ex02.check_decode_step(fn)
    assert verdict.ok, verdict.message


@pytest.mark.parametrize("fn, hint", [
    (lambda p: (decode_step(p)[0], decode_step(p)[1] / 1e9), "GB"),
    (lambda p: (decode_step(p)[0], decode_step(p)[1] / 2), "bf16"),          # K only
    (lambda p: (flops.flops_per_token(SHAPE, seq_len=p + 1)["total"] / (2 * flops.param_count(SHAPE)),
                decode_step(p)[1]), "分母"),                                    # forgets the KV reads
    (lambda p: decode_step(p)[0], "两个数"),
    (lambda p: 1 / 0, "ZeroDivisionError"),
    (3.0, "函数"),
])
def test_decode_step_wrong(fn, hint):
    verdict = ex02.check_decode_step(fn)
    assert not verdict.ok and hint in verdict.message


# --- exercise 4: shingle length ---

def true_jaccard(n):
    texts = {d.url: d.text for d in load_web_documents()}
    norm = [" ".join(texts[u].lower().split()) for u in ex02.TOMATO_PAIR]
    a, b = ({t[i:i + n] for i in range(len(t) - n + 1)} for t in norm)
    return len(a & b) / len(a | b)


def test_shingle_jaccard_right_and_decreasing():
    answer = {n: true_jaccard(n) for n in (3, 5, 9)}
    assert answer[3] > answer[5] > answer[9]
    assert ex02.check_shingle_jaccard(answer).ok
    assert ex02.check_shingle_jaccard({n: round(v, 2) for n, v in answer.items()}).ok


@pytest.mark.parametrize("answer, hint", [
    ({3: 0.9, 5: 0.9, 9: 0.9}, "n = "),
    ({3: 0.5, 5: 0.5}, "3、5、9"),
    ([0.9, 0.9, 0.8], "字典"),
])
def test_shingle_jaccard_wrong(answer, hint):
    verdict = ex02.check_shingle_jaccard(answer)
    assert not verdict.ok and hint in verdict.message


def test_shingle_jaccard_reversed_values_fail():
    answer = {3: true_jaccard(9), 5: true_jaccard(5), 9: true_jaccard(3)}
    assert not ex02.check_shingle_jaccard(answer).ok


# --- exercise 5: [INST] template ---

def render_inst(turns):
    out, system = [], ""
    for t in turns:
        if t.role == "system":
            system = f"<<SYS>>{t.content}<</SYS>>\n"
        elif t.role == "user":
            out.append(f"[INST] {system}{t.content} [/INST]")
            system = ""
        else:
            out.append(f" {t.content}\n")
    return "".join(out)


def render_inst_plain(turns):  # system message on its own line before everything: also fine
    return "\n".join(f"[INST]{t.content}[/INST]" if t.role == "user" else t.content for t in turns)


def render_preference(ex, render=render_inst):
    prefix = render(ex.history)
    a, b = prefix + " " + ex.response_a, prefix + " " + ex.response_b
    return (a, b) if ex.chosen == "a" else (b, a)


@pytest.mark.parametrize("render", [render_inst, render_inst_plain])
def test_inst_template_right(render):
    verdict = ex02.check_inst_template(render, lambda ex: render_preference(ex, render))
    assert verdict.ok, verdict.message


def chatml(turns):
    return "".join(f"<|im_start|>{t.role}\n{t.content}<|im_end|>\n" for t in turns)


@pytest.mark.parametrize("render, pref, hint", [
    (chatml, render_preference, "[INST]"),
    (lambda turns: "".join(f"[INST] {t.content} [/INST]" for t in turns), render_preference, "助手"),
    (lambda turns: "".join(f"[INST] {t.content} [/INST]" for t in reversed(turns) if t.role == "user")
     + "".join(t.content for t in turns if t.role != "user"), render_preference, "顺序"),
    (render_inst, lambda ex: (render_inst(ex.history) + ex.response_a, render_inst(ex.history) + ex.response_b),
     "被选中"),
    (render_inst, lambda ex: (ex.response_a, ex.response_b) if ex.chosen == "a" else (ex.response_b, ex.response_a),
     "对话历史"),
    (render_inst, lambda ex: render_inst(ex.history), "两段文本"),
    (lambda turns: turns[0].text, render_preference, "AttributeError"),
    (..., render_preference, "还没有作答"),
])
def test_inst_template_wrong(render, pref, hint):
    verdict = ex02.check_inst_template(render, pref)
    assert not verdict.ok and hint in verdict.message
