"""Citations as data (lecture_utils.references): well-formed, unique, rendered as markdown links."""
from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from lecture_utils.references import ARXIV_ID, REFERENCES, _ALL, cite, cite_many, get

# What notebooks 00–02 cite: every key must exist.
CITED = ["transformer", "gpt2", "gpt3", "kaplan2020", "chinchilla", "wei2022", "schaeffer2023",
         "sennrich2016", "hernandez2020", "roller_tweet", "swiglu", "rope", "dpo", "deepseekmath",
         "stargate", "opt", "metaseq", "lima", "ppo", "instructgpt"]


def test_keys_unique():
    assert len({r.key for r in _ALL}) == len(_ALL) == len(REFERENCES)


@pytest.mark.parametrize("ref", _ALL, ids=lambda r: r.key)
def test_reference_well_formed(ref):
    assert ref.title.strip() and ref.authors and all(a for a in ref.authors)
    assert 1900 < ref.year <= 2026
    assert bool(ref.arxiv) != bool(ref.url), "exactly one of arxiv / url"
    if ref.arxiv:
        assert ARXIV_ID.match(ref.arxiv), ref.arxiv
        yymm = int(ref.arxiv[:4])
        assert 2000 + yymm // 100 in (ref.year, ref.year + 1, ref.year - 1)  # id year ≈ paper year
        assert 1 <= yymm % 100 <= 12
    parsed = urlparse(ref.link)
    assert parsed.scheme in ("http", "https") and parsed.netloc and " " not in ref.link


@pytest.mark.parametrize("key", CITED)
def test_cited_keys_exist(key):
    assert get(key).key == key


def test_cite_renders_markdown_link():
    assert cite("transformer") == ("[Attention Is All You Need](https://arxiv.org/abs/1706.03762) "
                                   "(Vaswani et al., 2017; arXiv:1706.03762)")
    assert cite("hernandez2020").startswith("[Measuring the Algorithmic Efficiency of Neural Networks](")
    assert "(Hernandez & Brown, 2020" in cite("hernandez2020")
    assert re.fullmatch(r"- \[.+\]\(https://\S+\) \(.+\)\n- \[.+\]\(https://\S+\) \(.+\)",
                        cite_many("gpt3", "stargate"))


def test_unknown_key_suggests_close_ones():
    with pytest.raises(KeyError, match="kaplan2020"):
        get("kaplan")
