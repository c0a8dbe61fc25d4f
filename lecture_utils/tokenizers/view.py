"""Coloured token spans for notebooks, in the spirit of https://tiktokenizer.vercel.app.

`render_tokens("Hello, 🌍!", enc)` returns a `TokenView`: an HTML object (shown by Jupyter) whose spans are
coloured by position (a fixed palette, cycling), with the id and the bytes of each token on hover
(`title=`). Spaces, newlines and tabs get visible markers (· ↵ →); a token whose bytes are not
complete UTF-8 (GPT-2 splits 🌍 into 3 tokens) shows the broken part as byte escapes such as
`\\xf0\\x9f`. The HTML depends only on the ids and their bytes, so nbval can compare it.

Works with our tokenizers (anything with `encode` and `token_bytes`, or a `vocab` of bytes) and with
tiktoken encodings (`decode_single_token_bytes`).
"""
from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence

from .base import check_id, check_id_list

class _HTMLBase:
    """HTML that Jupyter displays through `_repr_html_` (no IPython import: training scripts stay light)."""

    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_html_(self) -> str:
        return self.data


__all__ = ["render_tokens", "TokenView", "PALETTE", "token_label"]

# Pastel backgrounds, dark text readable on each; position i gets PALETTE[i % len(PALETTE)].
PALETTE = ("#fde68a", "#bfdbfe", "#bbf7d0", "#fbcfe8", "#ddd6fe", "#fed7aa", "#a5f3fc", "#e5e7eb")

# Whitespace made visible (in HTML a real line break follows ↵, so lines still break).
WHITESPACE_MARKERS = {" ": "·", "\n": "↵", "\t": "→", "\r": "␍"}


def _pieces(data: bytes) -> list[tuple[str, bool]]:
    """Split bytes into (text, True) for valid UTF-8 runs and (escapes, False) for broken ones."""
    out = []
    while data:
        try:
            out.append((data.decode("utf-8"), True))
            break
        except UnicodeDecodeError as exc:
            if exc.start:
                out.append((data[:exc.start].decode("utf-8"), True))
            out.append(("".join(f"\\x{b:02x}" for b in data[exc.start:exc.end]), False))
            data = data[exc.end:]
    return out


def token_label(data: bytes) -> str:
    """Plain-text label of one token's bytes: `token_label(b" \\xf0\\x9f")` is `·\\xf0\\x9f`."""
    return "".join("".join(WHITESPACE_MARKERS.get(c, c) for c in text) if ok else text
                   for text, ok in _pieces(data))


def _span_html(data: bytes) -> str:
    """The inner HTML of one token: escaped text, grey whitespace markers, red byte escapes."""
    parts = []
    for text, ok in _pieces(data):
        if not ok:
            parts.append(f'<span style="color:#b91c1c">{html.escape(text)}</span>')
            continue
        run = []
        for ch in text:
            if ch in WHITESPACE_MARKERS:
                if run:
                    parts.append(html.escape("".join(run)))
                    run = []
                parts.append(f'<span style="color:#9ca3af">{WHITESPACE_MARKERS[ch]}</span>' + ("\n" if ch == "\n" else ""))
            else:
                run.append(ch)
        if run:
            parts.append(html.escape("".join(run)))
    return "".join(parts)


class TokenView(_HTMLBase):
    """Token spans as HTML (Jupyter shows `_repr_html_`); `repr()` is a plain-text version."""

    def __init__(self, ids: list[int], pieces: list[bytes], html_text: str) -> None:
        super().__init__(html_text)
        self.ids = ids
        self.pieces = pieces

    @property
    def html(self) -> str:
        """The HTML text."""
        return self.data

    def __repr__(self) -> str:
        labels = "|".join(token_label(p) for p in self.pieces)
        return f"TokenView({len(self.ids)} tokens): {labels}"


def _bytes_getter(tokenizer: object) -> Callable[[int], bytes]:
    """A function id -> bytes for a tiktoken encoding or one of our tokenizers."""
    if hasattr(tokenizer, "decode_single_token_bytes"):  # tiktoken.Encoding
        return tokenizer.decode_single_token_bytes
    if hasattr(tokenizer, "token_bytes"):
        return tokenizer.token_bytes
    vocab = getattr(tokenizer, "vocab", None)
    if isinstance(vocab, Mapping):
        return vocab.__getitem__
    raise TypeError(f"cannot get token bytes from {type(tokenizer).__name__}: pass a tiktoken encoding or a"
                    " tokenizer with token_bytes(id) or a vocab dict of id -> bytes")


def render_tokens(text_or_ids: str | Sequence[int], tokenizer_or_encoding: object, *,
                  show_ids: bool = False, summary: bool = True) -> TokenView:
    """Coloured spans, one per token, with "id · bytes" on hover; `show_ids` also prints each id under it.

    `text_or_ids` is a text (encoded with the tokenizer's `encode`) or a list of ids. The summary
    line gives the number of tokens, UTF-8 bytes and the compression ratio (bytes per token).
    """
    text = text_or_ids if isinstance(text_or_ids, str) else None
    if text is not None:
        ids = list(tokenizer_or_encoding.encode(text))
    elif isinstance(text_or_ids, (bytes, bytearray)):
        raise TypeError("render_tokens expects a str or a list of ids, got bytes; decode them first")
    else:
        check_id_list(text_or_ids, "render_tokens")
        ids = [check_id(token_id, position) for position, token_id in enumerate(text_or_ids)]
    get_bytes = _bytes_getter(tokenizer_or_encoding)
    pieces = [bytes(get_bytes(i)) for i in ids]
    spans = []
    for pos, (token_id, data) in enumerate(zip(ids, pieces)):
        title = html.escape(f"id {token_id} · {data!r}", quote=True)
        inner = _span_html(data)
        if show_ids:
            inner += f'<sub style="color:#6b7280;font-size:70%">{token_id}</sub>'
        spans.append(f'<span title="{title}" style="background:{PALETTE[pos % len(PALETTE)]};'
                     f'border-radius:3px;padding:1px 1px;margin:0 1px">{inner}</span>')
    out = ['<div style="font-family:monospace;white-space:pre-wrap;word-break:break-all;line-height:1.9">',
           "".join(spans), "</div>"]
    if summary:
        # the text's own bytes when we have it (an UNK token's bytes are only its marker's)
        n_bytes = len(text.encode("utf-8")) if text is not None else sum(map(len, pieces))
        ratio = f"{n_bytes / len(ids):.3f}" if ids else "–"
        out.append(f'<div style="color:#6b7280;font-size:85%">{len(ids)} 个词元 (tokens) · {n_bytes} 字节 (bytes)'
                   f" · 压缩率 {ratio} 字节/词元</div>")
    return TokenView(ids, pieces, "".join(out))
