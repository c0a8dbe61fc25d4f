"""Step through the lecture's toy BPE training by hand: one merge at a time.

`merge_step_html(text_or_params, step)` draws merge number `step` as HTML: the sequence before the
merge with the chosen pair's occurrences marked, the pair-count table of that step (the same rows as
`toy_bpe.pair_count_table`, chosen row highlighted) and the sequence after the merge with the new
tokens marked. `merge_stepper(text, num_merges)` puts a text box, a slider over the merges and the
tie-break rule above it.

    merge_step_html("the cat in the hat", 1)   # (116, 104) = "th" becomes 256: four pairs tie at 2
    merge_stepper("the cat in the hat", 6)

Deliberate simplifications: the toy trainer only (no pre-tokenization, a full recount per merge, as
in the lecture); long tables show the `top` most frequent pairs.
"""
from __future__ import annotations

import html
from typing import Any

from ..tokenizers.toy_bpe import TIE_BREAKS, MergeStep, ToyBPEParams, pair_count_table, train_toy_bpe
from ..tokenizers.view import token_label

__all__ = ["merge_step_html", "merge_stepper"]

_CHOSEN = "background:#fde68a;font-weight:bold"
_NEW = "background:#bbf7d0;font-weight:bold"
_TOKEN = "border:1px solid #d1d5db;border-radius:3px;padding:0 2px;margin:0 1px"
_CELL = "padding:1px 8px;text-align:left;font-family:monospace;white-space:pre"


def _check_step(step: Any, limit: int | None) -> int:
    if isinstance(step, bool) or not isinstance(step, int) or step < 1 or (limit is not None and step > limit):
        allowed = f"1 到 {limit} 之间的整数" if limit is not None else "不小于 1 的整数"
        raise ValueError(f"step 应该是{allowed}（第几次合并），而你给的是 {step!r}")
    return step


def _params(text_or_params: Any, step: int, tie_break: str) -> ToyBPEParams:
    """The recorded training: trained here from a text, or given (recorded with record=True)."""
    if isinstance(text_or_params, ToyBPEParams):
        if not text_or_params.steps and text_or_params.merges:
            raise ValueError("这个 ToyBPEParams 没有记录训练过程：请用 train_toy_bpe(..., record=True) 训练")
        _check_step(step, len(text_or_params.steps) or None)
        return text_or_params
    if not isinstance(text_or_params, str):
        raise TypeError("text_or_params 应该是一段文本（str）或 train_toy_bpe(..., record=True) 的结果，"
                        f"而你给的是 {type(text_or_params).__name__}")
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break 应该是 {TIE_BREAKS} 之一，而你给的是 {tie_break!r}")
    _check_step(step, None)
    return train_toy_bpe(text_or_params, step, tie_break=tie_break, record=True)


def _occurrences(ids: list[int], pair: tuple[int, int]) -> set[int]:
    """Start positions of the non-overlapping occurrences of `pair`, left to right (what `merge` replaces)."""
    found, i = set(), 0
    while i + 1 < len(ids):
        if (ids[i], ids[i + 1]) == pair:
            found.update((i, i + 1))
            i += 2
        else:
            i += 1
    return found


MAX_SHOWN = 300  # tokens drawn per sequence; a long text is cut with "…" (the counts still cover all of it)


def _sequence(ids: list[int], vocab: dict[int, bytes], marked: set[int], style: str) -> str:
    """The ids as boxed token labels; positions in `marked` get `style`."""
    spans = []
    for pos, token in enumerate(ids[:MAX_SHOWN]):
        extra = ";" + style if pos in marked else ""
        title = html.escape(f"id {token} · {vocab[token]!r}", quote=True)
        spans.append(f'<span title="{title}" style="{_TOKEN}{extra}">{html.escape(token_label(vocab[token]))}</span>')
    if len(ids) > MAX_SHOWN:
        spans.append(f" …（后面还有 {len(ids) - MAX_SHOWN} 个）")
    return '<div style="font-family:monospace;line-height:2;word-break:break-all">' + "".join(spans) + "</div>"


def _table(step: MergeStep, vocab: dict[int, bytes], top: int | None) -> str:
    """The pair-count table of one step (rows of `pair_count_table`), the chosen row highlighted."""
    frame = pair_count_table(step, vocab, top)
    head = "".join(f'<th style="{_CELL}">{html.escape(str(c))}</th>' for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False):
        style = f' style="{_CHOSEN}"' if row[-1] else ""
        rows.append(f"<tr{style}>" + "".join(f'<td style="{_CELL}">{html.escape(str(v))}</td>' for v in row) + "</tr>")
    shown = f"（只列出最常见的 {len(frame)} 对，共 {len(step.counts)} 对）" if len(frame) < len(step.counts) else ""
    return (f'<div style="margin-top:6px">本步的字节对计数{shown}：</div>'
            f'<table style="border-collapse:collapse;margin:2px 0"><tr>{head}</tr>{"".join(rows)}</table>')


def _tie_note(this: MergeStep, vocab: dict[int, bytes]) -> str:
    """How the chosen pair won a tie, in words ('' when it was the only most frequent pair)."""
    best = this.counts[this.pair]
    tied = [p for p, c in this.counts.items() if c == best]
    if len(tied) == 1:
        return ""
    first = tied[0]  # counts are in first-seen order
    greatest = max(tied, key=lambda p: (vocab[p[0]], vocab[p[1]]))
    if this.pair == first == greatest:
        why = "它既最先出现，字节串的字典序也最大：两种并列规则都选它"
    elif this.pair == first:
        why = f"按讲座的规则取最先出现的一对（作业 1 的字典序规则会选 {token_label(vocab[greatest[0]] + vocab[greatest[1]])}）"
    else:
        why = f"按作业 1 的规则取字节串字典序更大的一对（讲座的规则会选 {token_label(vocab[first[0]] + vocab[first[1]])}）"
    return f"；{len(tied)} 对并列最多，{why}"


def _before_first(first: MergeStep) -> list[int]:
    """The training sequence before the first merge (undo it: every new id back to its pair)."""
    out: list[int] = []
    for t in first.ids:
        out.extend(first.pair if t == first.new_id else (t,))
    return out


def merge_step_html(text_or_params: str | ToyBPEParams, step: int, *, tie_break: str = "first",
                    top: int | None = 8) -> str:
    """HTML for merge number `step` (1-based) of toy BPE training: sequence before, pair counts, sequence after.

    `text_or_params` is a text (trained here with `tie_break`) or a `train_toy_bpe(..., record=True)` result.
    """
    params = _params(text_or_params, step, tie_break)
    vocab, steps = params.vocab, params.steps
    if step > len(steps):
        if steps:
            left = len(steps[-1].ids)
        else:
            left = len(text_or_params.encode("utf-8")) if isinstance(text_or_params, str) else None
        done = f"只能合并 {len(steps)} 次" if steps else "一次也合并不了"
        rest = f"（只剩 {left} 个词元）" if left is not None else ""
        body = f"这段文本{done}：序列里已经没有相邻的一对了{rest}。"
        return f'<div style="padding:4px"><b>第 {step} 次合并</b>：{html.escape(body)}</div>'
    this = steps[step - 1]
    before = steps[step - 2].ids if step > 1 else _before_first(steps[0])
    a, b = this.pair
    label = lambda i: f"<code>{html.escape(token_label(vocab[i]))}</code>"  # noqa: E731
    title = (f"<b>第 {step} 次合并</b>：选中 ({a}, {b}) = {label(a)} + {label(b)}"
             f" → 新 id {this.new_id} = {label(this.new_id)}，出现 {this.counts[this.pair]} 次"
             f"{html.escape(_tie_note(this, vocab))}")
    new_positions = {i for i, t in enumerate(this.ids) if t == this.new_id}
    return ('<div style="padding:4px">' + f"<div>{title}</div>"
            + f'<div style="margin-top:6px">合并前（{len(before)} 个词元，黄色是要合并的对）：</div>'
            + _sequence(before, vocab, _occurrences(before, this.pair), _CHOSEN)
            + _table(this, vocab, top)
            + f'<div style="margin-top:6px">合并后（{len(this.ids)} 个词元，绿色是新词元 {this.new_id}）：</div>'
            + _sequence(this.ids, vocab, new_positions, _NEW) + "</div>")


def merge_stepper(text: str, num_merges: int, *, tie_break: str = "first", top: int | None = 8):
    """A text box, a slider over merges 1..num_merges and the tie rule, above `merge_step_html` of that state."""
    import ipywidgets as widgets

    from . import live

    if isinstance(num_merges, bool) or not isinstance(num_merges, int) or num_merges < 1:
        raise ValueError(f"num_merges 应该是不小于 1 的整数，而你给的是 {num_merges!r}")
    if not isinstance(text, str):
        raise TypeError(f"text 应该是一段文本（str），而你给的是 {type(text).__name__}")
    if tie_break not in TIE_BREAKS:
        raise ValueError(f"tie_break 应该是 {TIE_BREAKS} 之一，而你给的是 {tie_break!r}")
    trained: dict[tuple[str, str], ToyBPEParams] = {}

    def render(text: str, step: int, tie_break: str) -> str:
        key = (text, tie_break)
        if key not in trained:  # one training per text and rule; moving the slider only looks it up
            trained.clear()
            trained[key] = train_toy_bpe(text, num_merges, tie_break=tie_break, record=True)
        params = trained[key]
        return merge_step_html(params if step <= len(params.steps) else text, step, tie_break=tie_break, top=top)

    controls = {
        "text": widgets.Text(value=text, description="文本", continuous_update=False,
                             layout=widgets.Layout(width="90%")),
        "step": widgets.IntSlider(value=1, min=1, max=num_merges, description="第几次合并",
                                  style={"description_width": "initial"}),
        "tie_break": widgets.ToggleButtons(options=[("先出现的胜（讲座）", "first"), ("字典序大的胜（作业 1）", "lexicographic")],
                                           value=tie_break, description="并列时",
                                           style={"button_width": "auto"}),
    }
    return live(controls, render)

