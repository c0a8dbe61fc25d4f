"""The plot shared by both story grammars: intro (+ friend), one or two episodes, an ending.

Each language module supplies a story class with methods `intro`, `meet_friend`, one per name in
`EPISODES`, and `ending`, each returning a list of sentences; `compose` draws the plot and joins them.
"""
from __future__ import annotations

import random

__all__ = ["EPISODES", "compose"]

EPISODES = ["lost", "broken", "share", "rain", "fear", "rescue", "count", "race", "bake", "trip", "plant",
            "birthday"]


def compose(story, rng: random.Random, sentence_sep: str) -> str:
    """Draw the plot for story, render it, and join sentences with sentence_sep ("" for Chinese)."""
    paras = [story.intro()]
    if rng.random() < 0.7:
        paras[0] += story.meet_friend()
    first = rng.choice(EPISODES)
    paras.append(getattr(story, first)())
    if rng.random() < 0.35:
        second = rng.choice([e for e in EPISODES if e != first])
        paras.append(getattr(story, second)())
    paras.append(story.ending())
    # Paragraph breaks sometimes, as in TinyStories; otherwise one running paragraph.
    sep = "\n\n" if rng.random() < 0.5 else sentence_sep
    return sep.join(sentence_sep.join(p) for p in paras)
