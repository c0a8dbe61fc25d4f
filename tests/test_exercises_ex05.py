"""Notebook 05's exercise checks: right answers (several spellings) pass, wrong ones get a hint."""
from lecture_utils.exercises import ex05
from lecture_utils.tokenizers import ByteTokenizer


def test_combining_bytes_and_cost():
    assert ex05.check_combining_bytes((2, 3, False)) and ex05.check_combining_bytes([2, 3, False])
    assert not ex05.check_combining_bytes((2, 2, False)) and not ex05.check_combining_bytes((2, 3, True))
    text = "Hello 你好"
    assert ex05.check_attention_cost((len(text.encode("utf-8")) / len(text)) ** 2, text)
    assert "平方" in repr(ex05.check_attention_cost(len(text.encode("utf-8")) / len(text), text))


def valid_prefix_loop(ids):
    for end in range(len(ids), -1, -1):
        try:
            bytes(ids[:end]).decode("utf-8")
            return ids[:end]
        except UnicodeDecodeError:
            pass


def valid_prefix_error_position(ids):
    try:
        bytes(ids).decode("utf-8")
        return list(ids)
    except UnicodeDecodeError as err:
        return list(ids[:err.start])


def test_valid_prefix():
    assert ex05.check_valid_prefix(valid_prefix_loop) and ex05.check_valid_prefix(valid_prefix_error_position)
    drop_last = lambda ids: ids[:-1]  # noqa: E731  right for BROKEN only by luck? no: [72, 240] is wrong
    assert not ex05.check_valid_prefix(drop_last)
    ascii_only = lambda ids: [i for i in ids if i < 128]  # noqa: E731  not a prefix
    assert not ex05.check_valid_prefix(ascii_only)
    as_bytes = lambda ids: bytes(valid_prefix_loop(ids))  # noqa: E731  must return a list
    assert not ex05.check_valid_prefix(as_bytes)
    assert ex05.reference_valid_prefix(ex05.BROKEN) == [72] and ex05.reference_valid_prefix([0x8c]) == []


class StrictBytes:
    """The lecture's version (strict decode) plus vocab_size: passes."""

    vocab_size = 256

    def encode(self, text):
        return list(text.encode("utf-8"))

    def decode(self, ids):
        return bytes(ids).decode("utf-8")


class Latin1Bytes(StrictBytes):
    def encode(self, text):
        return list(text.encode("latin-1", errors="replace"))


def test_check_tokenizer():
    assert ex05.check_tokenizer(ByteTokenizer) and ex05.check_tokenizer(StrictBytes)
    assert not ex05.check_tokenizer(Latin1Bytes)
    ignoring = type("Ignoring", (StrictBytes,), {"decode": lambda self, ids: bytes(ids).decode("utf-8", "ignore")})
    assert "�" in repr(ex05.check_tokenizer(ignoring))
