"""Notebook 03's exercise checks: right answers (several spellings) pass, wrong ones get a hint."""
import codecs

from lecture_utils.encodings import get_encoding
from lecture_utils.exercises import ex03

GPT2 = get_encoding("gpt2")


def counts_of(name):
    return {n: len(get_encoding(n).encode(name)) for n in ("gpt2", "cl100k_base", "o200k_base")}


def test_name_counts():
    assert ex03.check_name_counts("李华", counts_of("李华"))
    assert ex03.check_name_counts("欧阳娜娜", counts_of("欧阳娜娜"))
    wrong = dict(counts_of("李华"), gpt2=counts_of("李华")["gpt2"] + 1)
    verdict = ex03.check_name_counts("李华", wrong)
    assert not verdict and "gpt2" in repr(verdict) and "提示" in repr(verdict)
    assert not ex03.check_name_counts("李华", {"gpt2": 1}) and not ex03.check_name_counts("", counts_of("a"))
    assert "还没有作答" in repr(ex03.check_name_counts(..., ...))


def test_space_counterexample():
    assert ex03.check_space_counterexample("university")  # un|iversity vs " university"
    assert ex03.check_space_counterexample("Stanford")
    assert not ex03.check_space_counterexample("hello")  # 1 token either way
    assert not ex03.check_space_counterexample("hello world") and not ex03.check_space_counterexample("123")
    assert "还没有作答" in repr(ex03.check_space_counterexample(...))


def test_tokens_per_char():
    def right(enc, text):
        if not text:
            raise ValueError("空文本没有字符")
        return len(enc.encode(text)) / len(text)

    def also_right(enc, text):
        n = len(text)
        if n == 0:
            raise ValueError("empty")
        return sum(1 for _ in enc.encode(text)) / n

    assert ex03.check_tokens_per_char(right) and ex03.check_tokens_per_char(also_right)
    per_byte = lambda enc, text: len(enc.encode(text)) / len(text.encode("utf-8"))  # noqa: E731
    assert "字符数" in repr(ex03.check_tokens_per_char(per_byte))
    no_guard = lambda enc, text: len(enc.encode(text)) / max(1, len(text))  # noqa: E731
    assert not ex03.check_tokens_per_char(no_guard)
    crash = lambda enc, text: len(enc.encode(text)) / len(text)  # ZeroDivisionError on ""  # noqa: E731
    assert "ZeroDivisionError" in repr(ex03.check_tokens_per_char(crash))


def stream_right(ids, enc):
    decoder = codecs.getincrementaldecoder("utf-8")()
    for i in ids:
        text = decoder.decode(enc.decode_single_token_bytes(i), final=False)
        if text:
            yield text


def stream_by_hand(ids, enc):
    buffer = b""
    for i in ids:
        buffer += enc.decode_single_token_bytes(i)
        for end in range(len(buffer), 0, -1):
            try:
                text = buffer[:end].decode("utf-8")
            except UnicodeDecodeError:
                continue
            buffer = buffer[end:]
            yield text
            break


def test_stream_decoder_right_spellings_pass():
    assert ex03.check_stream_decoder(stream_right)
    assert ex03.check_stream_decoder(stream_by_hand)


def test_stream_decoder_wrong_ones_fail():
    def per_token(ids, enc):  # the bug of notebook 03: decoding token by token shows �
        for i in ids:
            yield enc.decode([i])

    def all_at_end(ids, enc):  # correct text, but not streamed
        yield enc.decode(list(ids))

    def as_list(ids, enc):
        return [enc.decode(list(ids))]

    def flush_broken(ids, enc):  # shows the cut emoji as � at the end
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for i in ids:
            text = decoder.decode(enc.decode_single_token_bytes(i))
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    def yields_bytes(ids, enc):
        for i in ids:
            yield enc.decode_single_token_bytes(i)

    assert "�" in repr(ex03.check_stream_decoder(per_token))
    assert "边读边输出" in repr(ex03.check_stream_decoder(all_at_end))
    assert not ex03.check_stream_decoder(as_list)
    assert "断开" in repr(ex03.check_stream_decoder(flush_broken))
    assert "不是字符串" in repr(ex03.check_stream_decoder(yields_bytes))
    assert "还没有作答" in repr(ex03.check_stream_decoder(...))


def test_complete_prefix():
    data = "ok🌍".encode("utf-8")
    assert ex03.complete_prefix(data[:-1]) == "ok" and ex03.complete_prefix(data) == "ok🌍"


def test_cl100k_branches():
    assert ex03.check_cl100k_branches((8, 2))  # the last branch `\s`, and [^\r\n\p{L}\p{N}]?+\p{L}++
    assert "数字" in repr(ex03.check_cl100k_branches((7, 2)))
    assert "hello" in repr(ex03.check_cl100k_branches((8, 4)))
    assert not ex03.check_cl100k_branches((1, 1)) and not ex03.check_cl100k_branches([8, 2])
