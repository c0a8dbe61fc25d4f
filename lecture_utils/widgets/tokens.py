"""Token explorer: one text, several tokenizers side by side (coloured spans with ids, counts, ratios).

    token_comparison_html("Hello, 🌍! 你好!")            # HTML for gpt2, cl100k_base, o200k_base
    token_comparison_html(text, {"gpt2": enc, "本讲义的 BPE": bpe})
    token_explorer("Hello, 🌍! 你好!")                   # the same, with a text box (JupyterLab)

`tokenizers` maps a display name to anything with `encode(text)` whose token bytes
`lecture_utils.tokenizers.view.render_tokens` can find: a tiktoken encoding
(`decode_single_token_bytes`), or one of our tokenizers (`token_bytes(id)`, or a `vocab` dict of
id -> bytes). tiktoken encodings are given `encode_ordinary`, so a typed `<|endoftext|>` is plain text
rather than an error. The compression ratio is the lecture's: UTF-8 bytes of the text / tokens.
"""
from __future__ import annotations

import html
from collections.abc import Mapping

__all__ = ["EXAMPLE_TEXT", "DEFAULT_ENCODINGS", "default_tokenizers", "token_stats", "token_comparison_html",
           "token_explorer"]

EXAMPLE_TEXT = "Hello, 🌍! 你好!"  # the running example of notebooks 03-07
DEFAULT_ENCODINGS = ("gpt2", "cl100k_base", "o200k_base")


def default_tokenizers() -> dict[str, object]:
    """The three OpenAI encodings of the lecture, loaded offline: {"gpt2": …, "cl100k_base": …, "o200k_base": …}."""
    from ..encodings import get_encoding

    return {name: get_encoding(name) for name in DEFAULT_ENCODINGS}


def _check_tokenizers(tokenizers: object) -> dict[str, object]:
    """`tokenizers` as a non-empty dict name -> tokenizer with `encode`, or a clear TypeError/ValueError."""
    if tokenizers is None:
        return default_tokenizers()
    if not isinstance(tokenizers, Mapping):
        raise TypeError(f"tokenizers must be a dict name -> tokenizer (e.g. {{'gpt2': enc}}), got"
                        f" {type(tokenizers).__name__}")
    if not tokenizers:
        raise ValueError("tokenizers is empty: give at least one, or None for gpt2, cl100k_base and o200k_base")
    for name, tok in tokenizers.items():
        if not callable(getattr(tok, "encode", None)):
            raise TypeError(f"tokenizer {name!r} ({type(tok).__name__}) has no encode(text) method")
    return dict(tokenizers)


def _encode(tokenizer: object, text: str) -> list[int]:
    """Ids of `text`; tiktoken's `encode_ordinary` treats special-token text as ordinary text."""
    encode = getattr(tokenizer, "encode_ordinary", None) or tokenizer.encode
    return [int(i) for i in encode(text)]


def _vocab_size(tokenizer: object) -> int | None:
    """n_vocab (tiktoken), vocab_size, or len(vocab); None when the tokenizer does not say."""
    for attr in ("n_vocab", "vocab_size"):
        value = getattr(tokenizer, attr, None)
        if isinstance(value, int):
            return value
    vocab = getattr(tokenizer, "vocab", None)
    return len(vocab) if isinstance(vocab, Mapping) else None


def token_stats(text: str, tokenizers: Mapping[str, object] | None = None) -> dict[str, dict]:
    """Per tokenizer: ids, token count and compression ratio (None for empty text).

    `token_stats("Hello, 🌍! 你好!")["gpt2"]["tokens"] -> 12`, `["ratio"] -> 20 / 12`.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    n_bytes = len(text.encode("utf-8", errors="surrogatepass"))
    out = {}
    for name, tok in _check_tokenizers(tokenizers).items():
        ids = _encode(tok, text)
        out[name] = {"ids": ids, "tokens": len(ids), "bytes": n_bytes,
                     "ratio": n_bytes / len(ids) if ids else None, "vocab_size": _vocab_size(tok)}
    return out


_CELL = 'style="padding:2px 10px;border-bottom:1px solid #e5e7eb;text-align:{align}"'


def token_comparison_html(text: str, tokenizers: Mapping[str, object] | None = None, *,
                          show_ids: bool = True) -> str:
    """HTML comparing `text` under each tokenizer: a summary table, then each one's coloured token spans.

    `tokenizers` defaults to gpt2, cl100k_base and o200k_base. Each row gives the token count and the
    compression ratio (UTF-8 bytes / tokens); each span shows its id below it (`show_ids`) and its
    bytes on hover. A tokenizer that cannot encode the text gets its error in red instead of a row.
    """
    from ..tokenizers.view import render_tokens

    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    tokenizers = _check_tokenizers(tokenizers)
    n_chars = len(text)
    n_bytes = len(text.encode("utf-8", errors="surrogatepass"))
    head = "".join(f'<th {_CELL.format(align=a)}>{h}</th>' for h, a in
                   [("分词器", "left"), ("词表大小", "right"), ("词元数", "right"), ("压缩率（字节/词元）", "right")])
    rows, views = [], []
    for name, tok in tokenizers.items():
        label = html.escape(str(name))
        try:
            ids = _encode(tok, text)
            view = render_tokens(ids, tok, show_ids=show_ids, summary=False).html
        except Exception as err:  # a tokenizer that cannot handle this text: say why, keep the others
            message = html.escape(f"{type(err).__name__}: {err}")
            rows.append(f'<tr><td {_CELL.format(align="left")}>{label}</td>'
                        f'<td colspan="3" {_CELL.format(align="left")}><span style="color:#b91c1c">无法编码：{message}</span></td></tr>')
            continue
        vocab = _vocab_size(tok)
        ratio = f"{n_bytes / len(ids):.3f}" if ids else "–"
        cells = [(label, "left"), (f"{vocab:,}" if vocab else "–", "right"), (str(len(ids)), "right"), (ratio, "right")]
        rows.append("<tr>" + "".join(f'<td {_CELL.format(align=a)}>{c}</td>' for c, a in cells) + "</tr>")
        views.append(f'<div style="margin:6px 0"><div style="color:#374151;font-weight:600">{label}'
                     f'<span style="color:#6b7280;font-weight:400"> · {len(ids)} 个词元</span></div>{view}</div>')
    caption = (f'<div style="color:#6b7280;font-size:85%">文本：{n_chars} 个字符，{n_bytes} 个 UTF-8 字节。'
               "压缩率 = 字节数 / 词元数；红色 \\x.. 是只含某个字符一部分字节的词元。</div>")
    table = f'<table style="border-collapse:collapse;margin:4px 0"><tr>{head}</tr>{"".join(rows)}</table>'
    return f'<div class="token-comparison">{caption}{table}{"".join(views)}</div>'


def token_explorer(text: str = EXAMPLE_TEXT, tokenizers: Mapping[str, object] | None = None, *,
                   show_ids: bool = True):
    """A text box above `token_comparison_html(text, tokenizers)` that follows what you type (JupyterLab).

    Returns the controls' box: `box.children[0].value = "新的文本"` updates the view, as typing does.
    """
    import ipywidgets as widgets

    from . import live

    tokenizers = _check_tokenizers(tokenizers)  # load once, not on every keystroke
    box = widgets.Textarea(value=text, description="文本", placeholder="输入任意文本……",
                           layout=widgets.Layout(width="95%", height="4em"))
    return live({"text": box}, lambda text: token_comparison_html(text, tokenizers, show_ids=show_ids))
