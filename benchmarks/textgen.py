"""A benchmark corpus that behaves like real text at any size: deterministic, Heaps' law fitted to real text.

Repeating a small file to reach a benchmark size adds no new words, which flatters a BPE trainer (its
cost grows with the number of *distinct* pre-tokens). This generator instead draws pre-tokens from a
Zipf-Heaps model fitted to real text on this machine:

- **Real text.** Code: the Python standard library's own source. Prose: its docstrings (English).
  Both are pre-tokenized with GPT-2's pattern.
- **Heaps' law** V(n) = K * n^beta (V: distinct pre-tokens among the first n) is fitted to each, by
  least squares on log V against log n at sizes from 100 KB to the whole text.
- **Units that glue safely.** The model draws *segments*: the pieces of the real text between safe cut
  points (a non-space character followed by whitespace), e.g. " word", "\n    return", " f(x)". Every
  segment starts with whitespace and ends with a non-space, so any sequence of segments pre-tokenizes
  to exactly the pre-tokens of its segments: drawn words never fuse into new ones by accident.
- **Simon's model** (the classic Zipf-Heaps process) over segments, with Heaps' law fitted to the real
  segments: the n-th segment is *new* with probability dV/dn = K * beta * n^(beta - 1); otherwise an
  earlier one, drawn in proportion to how often it occurred so far (rich get richer: Zipf-like
  frequencies). New segments are the real text's segments in the order they first appear there, and once those run
  out, new ones spliced from two real segments (so they look like words, identifiers and numbers, and
  BPE finds sub-word structure in them). Draws are done in numpy blocks (counts frozen within a block).
- Documents alternate between the prose and the code model (or use one), separated by <|endoftext|>.
  Lines come from the real newline/indentation pre-tokens, so the text has code-like and prose-like lines.

    python benchmarks/textgen.py --check          # the fitted parameters, real vs generated curves
    python benchmarks/textgen.py out.txt --mb 1000 [--kind mixed|code|prose|real-code] [--seed 0]
"""
from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lecture_utils.tokenizers.pretokenize import pretokenize  # noqa: E402

SPECIAL = "<|endoftext|>"
BLOCK = 1 << 20  # pre-tokens drawn per numpy block
_SEGMENT = re.compile(r"\s*\S+?(?=\s|$)|\s+$", re.S)  # whitespace, then non-space up to the next whitespace


_DONOR = re.compile(r"(\s+)([A-Za-z]{3,})([^A-Za-z0-9].*|)", re.S)


def segments(text: str) -> list[str]:
    """Text cut before every whitespace that follows a non-space (each piece: whitespace, then non-space)."""
    return _SEGMENT.findall(text)


def _glue_safe(units: list[str]) -> list[str]:
    """The segments that start with whitespace and end with a non-space (all but a file's first and last)."""
    return [u for u in units if u[:1].isspace() and not u[-1:].isspace()]


def real_texts() -> dict[str, str]:
    """The real text the models are fitted to: {"code": stdlib source, "prose": its docstrings}."""
    from lecture_utils.data import stdlib_source

    code = stdlib_source()
    docs = re.findall(r'^[ \t]*[rRuU]?"""(.*?)"""', code, re.S | re.M)  # docstrings: a quote at a line start
    prose = "\n\n".join(d.strip() for d in docs if d.strip())
    return {"code": code, "prose": prose}


def distinct_curve(tokens: list[str], sizes_bytes: list[int]) -> list[tuple[int, int, int]]:
    """(bytes, pre-tokens, distinct pre-tokens) at each size (in UTF-8 bytes) along the token sequence."""
    out, seen, nbytes, targets = [], set(), 0, iter(sorted(sizes_bytes))
    target = next(targets, None)
    for i, t in enumerate(tokens):
        seen.add(t)
        nbytes += len(t.encode("utf-8"))
        while target is not None and nbytes >= target:
            out.append((nbytes, i + 1, len(seen)))
            target = next(targets, None)
    return out


def fit_heaps(curve: list[tuple[int, int, int]]) -> tuple[float, float]:
    """(K, beta) of V = K * n^beta, least squares in log-log over the curve's (n tokens, V) points."""
    x = np.log([n for _, n, _ in curve])
    y = np.log([v for _, _, v in curve])
    beta, log_k = np.polyfit(x, y, 1)
    return float(math.exp(log_k)), float(beta)


def _log_sizes(total: int, start: int = 100_000) -> list[int]:
    sizes, s = [], start
    while s < total:
        sizes.append(s)
        s = int(s * 1.6)
    return sizes + [total]


class Model:
    """One Simon (Zipf-Heaps) process: its fitted (K, beta), its word list and its running counts."""

    def __init__(self, tokens: list[str], k: float, beta: float, word_fit: tuple[float, float, float],
                 rng: np.random.Generator):
        self.k, self.beta, self.word_fit, self.rng = k, beta, word_fit, rng
        self.words = list(dict.fromkeys(tokens))  # real segments, in the order they first appear
        self.known = set(self.words)
        # Donors: whitespace, a word of >= 3 letters, then the rest (which starts with a non-letter).
        self.donors = [m.groups() for m in map(_DONOR.fullmatch, self.words[:100_000]) if m]
        self.counts = np.zeros(0, dtype=np.int64)  # occurrences so far of segment i
        self.n = 0  # segments drawn so far

    def _spelling(self, i: int) -> str:
        """The i-th segment: a real one while they last, then a new one made from two real ones.

        A new segment is donor A's whitespace, a word, and donor B's rest. The word is a new one
        (A's word cut and joined to the end of B's word) for the share of new segments that keeps the
        distinct pre-tokens on their own fitted Heaps curve (most new segments in real text are new
        combinations of known pre-tokens), else A's word.
        """
        share = self.new_word_share()
        while i >= len(self.words):
            a, b = self.rng.integers(len(self.donors), size=2)
            lead, word_a, _ = self.donors[a]
            _, word_b, rest = self.donors[b]
            if self.rng.random() < share:
                word_a = word_a[:int(self.rng.integers(1, len(word_a)))] + word_b[int(self.rng.integers(1, len(word_b))):]
            word = lead + word_a + rest
            if word not in self.known:
                self.known.add(word)
                self.words.append(word)
        return self.words[i]

    def new_word_share(self) -> float:
        """New pre-tokens per new segment that the two fits ask for here: (dVp/dn) / (dVs/dn), per segment."""
        pk, pbeta, per_segment = self.word_fit  # pre-tokens: Vp = pk * m^pbeta, m = per_segment * n
        n = max(self.n, 1)
        words = pk * pbeta * (per_segment * n) ** (pbeta - 1) * per_segment
        units = self.k * self.beta * n ** (self.beta - 1)
        return min(1.0, words / units)

    def draw(self, size: int) -> list[str]:
        """The next `size` pre-tokens of the process."""
        n = self.n + np.arange(1, size + 1, dtype=np.float64)
        p_new = np.minimum(1.0, self.k * self.beta * n ** (self.beta - 1))
        is_new = self.rng.random(size) < p_new
        is_new[0] |= self.counts.size == 0
        new_ids = self.counts.size + np.cumsum(is_new) - 1
        ids = np.where(is_new, new_ids, 0)
        old = ~is_new
        if old.any():
            cum = np.cumsum(self.counts) if self.counts.size else None
            if cum is None or cum[-1] == 0:  # the very first block: copy uniformly among this block's new words
                ids[old] = new_ids[old]
            else:
                ids[old] = np.searchsorted(cum, self.rng.integers(cum[-1], size=int(old.sum())), side="right")
        n_words = self.counts.size + int(is_new.sum())
        self.counts = np.concatenate([self.counts, np.zeros(n_words - self.counts.size, dtype=np.int64)])
        self.counts += np.bincount(ids, minlength=n_words)
        self.n += size
        self._spelling(n_words - 1)
        return [self.words[i] for i in ids.tolist()]


def fitted_models(seed: int = 0, kinds: tuple[str, ...] = ("prose", "code"), report=None) -> dict[str, Model]:
    """A Model per kind, fitted to the real text (prints the fit and the real curve if report is a file)."""
    texts = real_texts()
    models = {}
    for j, kind in enumerate(kinds):
        units = segments(texts[kind])
        sizes = _log_sizes(len(texts[kind].encode("utf-8")))
        seg_curve = distinct_curve(units, sizes)
        k, beta = fit_heaps(seg_curve)
        words = pretokenize(texts[kind])
        pk, pbeta = fit_heaps(distinct_curve(words, sizes))
        if report is not None:
            print(f"{kind}: real text {sizes[-1] / 1e6:.1f} MB; Heaps' law fitted by least squares in log-log over"
                  f" {len(sizes)} sizes from 0.1 MB: segments V = {k:.2f} * n^{beta:.3f} ({len(units):,} segments,"
                  f" {len(set(units)):,} distinct); pre-tokens V = {pk:.2f} * n^{pbeta:.3f}", file=report)
        models[kind] = Model(_glue_safe(units), k, beta, (pk, pbeta, len(words) / len(units)),
                             np.random.default_rng([seed, j]))
    return models


def generate(path: str | Path, megabytes: float, kind: str = "mixed", seed: int = 0,
             doc_bytes: tuple[int, int] = (2_000, 60_000)) -> int:
    """Write about `megabytes` MB of generated text to path (UTF-8, no newline translation); returns bytes.

    Documents of a random size in doc_bytes (characters) alternate at random between the kinds and
    end with <|endoftext|>.
    """
    kinds = ("prose", "code") if kind == "mixed" else (kind,)
    models = fitted_models(seed, kinds)
    rng = np.random.default_rng([seed, 99])
    target, written = int(megabytes * 1e6), 0
    buffers = {k: ("", 0) for k in kinds}  # per kind: generated text and how much of it is used
    with open(path, "w", encoding="utf-8", newline="") as f:
        while written < target:
            now = kinds[int(rng.integers(len(kinds)))]
            text, pos = buffers[now]
            cut = pos + int(rng.integers(*doc_bytes))
            while True:
                if cut >= len(text):
                    text, cut, pos = text[pos:] + "".join(models[now].draw(BLOCK // 4)), cut - pos, 0
                    continue
                if text[cut].isspace() and not text[cut - 1].isspace():
                    break  # end the document after a segment (a non-space, then whitespace)
                cut += 1
            doc = text[pos:cut] + SPECIAL
            buffers[now] = (text, cut)
            f.write(doc)
            written += len(doc.encode("utf-8"))
    return written


def real_code(path: str | Path, megabytes: float) -> int:
    """Write about `megabytes` MB of *real* Python source to path: this interpreter's standard library,
    then its site-packages, each file once (duplicates by content skipped), in sorted path order, one
    <|endoftext|> after each; returns bytes. A check on the generator: real code from many projects.

    Deterministic for one installation (the pinned requirements); files that are not UTF-8 are skipped.
    """
    import hashlib
    import sysconfig

    paths = sysconfig.get_paths()
    target, written, seen = int(megabytes * 1e6), 0, set()
    with open(path, "w", encoding="utf-8", newline="") as f:
        for root in dict.fromkeys((paths["stdlib"], paths["purelib"])):
            for file in sorted(Path(root).rglob("*.py")):
                if written >= target:
                    return written
                try:
                    raw = file.read_bytes()
                    text = raw.decode("utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                digest = hashlib.sha1(raw).digest()
                if digest in seen or SPECIAL in text:
                    continue
                seen.add(digest)
                f.write(text + SPECIAL)
                written += len(raw) + len(SPECIAL)
    if written < target:
        raise RuntimeError(f"only {written / 1e6:.0f} MB of Python source here, asked for {megabytes:g} MB")
    return written


def check(seed: int = 0, out=sys.stdout) -> None:
    """Print the fitted Heaps parameters and the distinct-pre-token curves, real vs generated."""
    texts = real_texts()
    models = fitted_models(seed, report=out)
    for kind, model in models.items():
        size = len(texts[kind].encode("utf-8"))
        real = distinct_curve(pretokenize(texts[kind]), _log_sizes(size))  # pre-tokens, not segments
        generated_text = "".join(model.draw(int(size / 3.2)))
        while len(generated_text.encode("utf-8")) < size * 3:
            generated_text += "".join(model.draw(BLOCK))
        gen = distinct_curve(pretokenize(generated_text), _log_sizes(len(generated_text.encode("utf-8"))))
        pk, pbeta = fit_heaps(gen)
        print(f"\n{kind}: distinct pre-tokens vs size; generated text re-pre-tokenized, its own fit"
              f" V = {pk:.2f} * n^{pbeta:.3f}", file=out)
        print("| MB | real | generated | generated / real |", file=out)
        print("|---:|---:|---:|---:|", file=out)
        real_at = {round(b / 1e5): v for b, _, v in real}
        for b, n, v in gen:
            r = real_at.get(round(b / 1e5))
            ratio = f"{v / r:.2f}" if r else "–"
            print(f"| {b / 1e6:.2f} | {r if r else '–'} | {v:,} | {ratio} |", file=out)


def _cjk_bytes(text: str) -> int:
    return sum(len(m.group().encode("utf-8")) for m in re.finditer(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+", text))


def chinese_mix(target_bytes: int = 4_300_000, cjk_share: float = 0.58) -> tuple[str, float]:
    """Real Chinese-heavy text: this machine's zh_* gettext catalogs (UI messages), (text, CJK byte share).

    Each Chinese message, preceded by its English original for part of the messages, so that about
    `cjk_share` of the bytes are CJK; messages in sorted file order, repeated only if the catalogs are
    too small. Falls back to the packaged generated stories (Chinese + English) without catalogs.
    """
    import gettext
    from glob import glob

    pairs = []
    for f in sorted(glob("/usr/share/locale/zh_*/LC_MESSAGES/*.mo")):
        try:
            with open(f, "rb") as fh:
                catalog = gettext.GNUTranslations(fh)._catalog
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        for key, value in catalog.items():
            key = key[0] if isinstance(key, tuple) else key
            if key and isinstance(value, str) and value.strip():
                pairs.append((key, value))
    if not pairs:
        from lecture_utils.data import embedded_corpus
        text = embedded_corpus("all")
        return text, _cjk_bytes(text) / len(text.encode("utf-8"))
    zh_bytes = sum(len(v.encode("utf-8")) + 1 for _, v in pairs)
    cjk = sum(_cjk_bytes(v) for _, v in pairs)
    en_bytes = sum(len(k.encode("utf-8")) + 1 for k, _ in pairs)
    # English share r of the messages' originals: cjk / (zh_bytes + r * en_bytes) = cjk_share.
    r = min(1.0, max(0.0, (cjk / cjk_share - zh_bytes) / en_bytes))
    out, credit, size = [], 0.0, 0
    while size < target_bytes:
        for key, value in pairs:
            credit += r
            if credit >= 1:
                credit -= 1
                out.append(key)
                size += len(key.encode("utf-8")) + 1
            out.append(value)
            size += len(value.encode("utf-8")) + 1
            if size >= target_bytes:
                break
    text = "\n".join(out)
    return text, _cjk_bytes(text) / len(text.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", help="file to write")
    parser.add_argument("--mb", type=float, default=100.0, help="size in MB (1e6 bytes)")
    parser.add_argument("--kind", choices=("mixed", "code", "prose", "real-code"), default="mixed",
                        help="real-code: this machine's own Python source, not generated (see real_code)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="print the Heaps fit and real vs generated curves")
    args = parser.parse_args(argv)
    if args.check:
        check(args.seed)
        return 0
    if not args.out:
        parser.error("give a file to write, or --check")
    if args.kind == "real-code":
        written = real_code(args.out, args.mb)
    else:
        written = generate(args.out, args.mb, args.kind, args.seed)
    print(f"wrote {written:,} bytes to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
