"""Paper tables and model configs as data, with typed loaders.

Each CSV in this folder has a ``<name>.source.md`` next to it saying where the numbers come from
and what was corrected. The loaders only parse and type the rows; nothing is computed here.
Deliberate simplification: files are small, so they are re-read on each call (no caching).
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from ..flops import TransformerShape

__all__ = [
    "FACTS_DIR", "ModelSize", "RollerRow", "WeiRow", "ChinchillaRow", "WebDocument",
    "read_rows", "load_opt_sizes", "load_gpt3_sizes", "load_roller_table", "load_wei_table1",
    "load_chinchilla_table1", "load_web_documents", "source_note", "TimelineEntry",
    "load_landscape_timeline", "ERAS",
]

FACTS_DIR = Path(__file__).resolve().parent


def read_rows(filename: str) -> list[dict[str, str]]:
    """Rows of a CSV in this folder as dicts of strings."""
    path = FACTS_DIR / filename
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; reinstall the package (pip install -e .)")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def source_note(filename: str) -> str:
    """The markdown note saying where ``filename``'s numbers come from."""
    return (FACTS_DIR / (Path(filename).stem + ".source.md")).read_text(encoding="utf-8")


@dataclass(frozen=True)
class ModelSize:
    """One published model size: its shape plus the training batch and learning rate."""

    name: str
    shape: TransformerShape
    batch_tokens: float
    lr: float
    params_published: float | None
    note: str


def _gpt_shape(name: str, row: dict[str, str], d_ff: int) -> TransformerShape:
    """GPT-2/3/OPT-style shape: GELU FFN, biases, LayerNorm, learned positions, tied embeddings."""
    return TransformerShape(
        n_layers=int(row["n_layers"]), d_model=int(row["d_model"]), n_heads=int(row["n_heads"]),
        d_ff=d_ff, context_length=int(row["context_length"]), vocab_size=int(row["vocab_size"]),
        ffn="gelu", tied_embeddings=True, bias=True, norm="layernorm", learned_positions=True,
        name=name)


def load_opt_sizes() -> dict[str, ModelSize]:
    """metaseq's OPT ``MODEL_SIZES`` ("125m" … "175b"), the configs behind Roller's table."""
    return {r["name"]: ModelSize(r["name"], _gpt_shape(r["name"], r, int(r["d_ff"])),
                                 float(r["batch_tokens"]), float(r["lr"]), None, r["note"])
            for r in read_rows("opt_model_sizes.csv")}


def load_gpt3_sizes() -> dict[str, ModelSize]:
    """GPT-3 Table 2.1 (arXiv:2005.14165), with the XL heads and 13B d_model typos corrected."""
    out = {}
    for r in read_rows("gpt3_table_2_1.csv"):
        d_model = int(r["d_model"])
        if int(r["n_heads"]) * int(r["d_head"]) != d_model:
            raise ValueError(f"{r['name']}: n_heads × d_head != d_model in gpt3_table_2_1.csv")
        out[r["name"]] = ModelSize(r["name"], _gpt_shape(r["name"], r, 4 * d_model),
                                   float(r["batch_tokens"]), float(r["lr"]),
                                   float(r["params_published"]), r["note"])
    return out


@dataclass(frozen=True)
class RollerRow:
    """One row of Roller's published "OPT setups" FLOPs table (percent columns as printed)."""

    description: str
    opt_size: str
    flops_per_update: float
    pct_mha: float
    pct_ffn: float
    pct_attn: float
    pct_logit: float

    @property
    def pcts(self) -> dict[str, float]:
        """The four shares keyed like ``lecture_utils.flops.PARTS``."""
        return {"attn_proj": self.pct_mha, "attn_scores": self.pct_attn, "ffn": self.pct_ffn,
                "logits": self.pct_logit}


def load_roller_table() -> list[RollerRow]:
    """Roller's eight published rows, 760M … 175B."""
    return [RollerRow(r["description"], r["opt_size"], float(r["flops_per_update"]),
                      float(r["pct_mha"]), float(r["pct_ffn"]), float(r["pct_attn"]),
                      float(r["pct_logit"])) for r in read_rows("roller_flops_table.csv")]


@dataclass(frozen=True)
class WeiRow:
    """One row of Wei et al. 2022 Table 1: where an ability first beats random."""

    kind: str  # "few-shot" or "augmented"
    task: str
    task_zh: str
    flops: float
    params: float
    model: str


def load_wei_table1() -> list[WeiRow]:
    """Wei et al. 2022 Table 1 (arXiv:2206.07682), few-shot and augmented-prompting rows."""
    return [WeiRow(r["kind"], r["task"], r["task_zh"], float(r["flops"]), float(r["params"]), r["model"])
            for r in read_rows("wei_table1.csv")]


@dataclass(frozen=True)
class ChinchillaRow:
    """A model's parameters and training tokens (Chinchilla paper, Table 1)."""

    model: str
    params: float
    tokens: float


def load_chinchilla_table1() -> list[ChinchillaRow]:
    """Hoffmann et al. 2022 Table 1 (arXiv:2203.15556) plus Chinchilla itself."""
    return [ChinchillaRow(r["model"], float(r["params"]), float(r["tokens"]))
            for r in read_rows("chinchilla_table1.csv")]


@dataclass(frozen=True)
class WebDocument:
    """A short, project-written, web-like document (for the filtering and dedup demo)."""

    url: str
    text: str


def load_web_documents() -> list[WebDocument]:
    """The bundled web-like sample (written for this project; not crawled)."""
    path = FACTS_DIR / "web_documents.jsonl"
    with path.open(encoding="utf-8") as f:
        return [WebDocument(**json.loads(line)) for line in f if line.strip()]


# The lecture's eras, in order, with Chinese names.
ERAS = {
    "pre_neural": "前神经网络时代",
    "neural": "神经网络的关键要素（2010 年代）",
    "early_foundation": "早期基础模型（2010 年代末）",
    "scaling_closed": "拥抱规模化，也更封闭",
    "open": "开放模型",
}


@dataclass(frozen=True)
class TimelineEntry:
    """A landscape milestone: reference key, Chinese label, era, date as a fractional year."""

    reference: str
    label: str
    era: str
    date: float


def load_landscape_timeline() -> list[TimelineEntry]:
    """The lecture's landscape milestones, dated by arXiv id (year + month) or publication year."""
    from ..references import get

    out = []
    for r in read_rows("landscape_timeline.csv"):
        if r["era"] not in ERAS:
            raise ValueError(f"unknown era {r['era']!r} in landscape_timeline.csv; use one of {list(ERAS)}")
        ref = get(r["reference"])
        date = (2000 + int(ref.arxiv[:2]) + (int(ref.arxiv[2:4]) - 0.5) / 12) if ref.arxiv else ref.year + 0.5
        out.append(TimelineEntry(r["reference"], r["label"], r["era"], date))
    return out
