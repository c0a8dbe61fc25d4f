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

from ..shape import TransformerShape

__all__ = [
    "FACTS_DIR", "ModelSize", "RollerRow", "WeiRow", "ChinchillaRow", "WebDocument",
    "read_rows", "load_opt_sizes", "load_gpt3_sizes", "load_roller_table", "load_wei_table1",
    "load_chinchilla_table1", "load_web_documents", "source_note", "TimelineEntry",
    "load_landscape_timeline", "ERAS", "KaplanLawRow", "KaplanJointRow", "ChinchillaLawRow", "ModelPointRow",
    "load_kaplan_laws", "load_kaplan_joint_law", "load_chinchilla_laws", "load_chinchilla_table2",
    "load_chinchilla_table3", "load_model_points",
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


# ---------------------------------------------------------------------------------------------------
# Published scaling laws (used by lecture_utils.scaling)
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KaplanLawRow:
    """One of Kaplan's single-variable power laws L(x) = (x_c / x)^alpha."""

    key: str
    x_c: float
    alpha: float
    variable: str
    source: str


def load_kaplan_laws() -> dict[str, KaplanLawRow]:
    """Kaplan et al. 2020 eq. (1.1)-(1.3) and the naive L(C), keyed "N", "D", "C_min", "C_naive"."""
    return {r["key"]: KaplanLawRow(r["key"], float(r["x_c"]), float(r["alpha"]), r["variable"], r["source"])
            for r in read_rows("kaplan_2020_laws.csv")}


@dataclass(frozen=True)
class KaplanJointRow:
    """Constants of Kaplan's joint law L(N, D)."""

    key: str
    N_c: float
    D_c: float
    alpha_N: float
    alpha_D: float
    source: str


def load_kaplan_joint_law() -> KaplanJointRow:
    """Kaplan et al. 2020 eq. (1.5) with the Table 2 refit constants."""
    (r,) = read_rows("kaplan_2020_joint_law.csv")
    return KaplanJointRow(r["key"], float(r["N_c"]), float(r["D_c"]), float(r["alpha_N"]), float(r["alpha_D"]),
                          r["source"])


@dataclass(frozen=True)
class ChinchillaLawRow:
    """Constants of L(N, D) = E + A/N^alpha + B/D^beta as published (or refitted)."""

    key: str
    name: str
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str


def load_chinchilla_laws() -> dict[str, ChinchillaLawRow]:
    """Hoffmann 2022 (rounded and TeX-source values) and the Besiroglu 2024 refit, by key."""
    return {r["key"]: ChinchillaLawRow(r["key"], r["name"], float(r["E"]), float(r["A"]), float(r["B"]),
                                       float(r["alpha"]), float(r["beta"]), r["source"])
            for r in read_rows("chinchilla_laws.csv")}


def load_chinchilla_table2() -> dict[str, tuple[float, float]]:
    """Hoffmann et al. 2022 Table 2: {approach: (a, b)} with N_opt ∝ C^a, D_opt ∝ C^b."""
    return {r["approach"]: (float(r["a"]), float(r["b"])) for r in read_rows("chinchilla_table2.csv")}


def load_chinchilla_table3() -> tuple[tuple[float, float, float], ...]:
    """Hoffmann et al. 2022 Table 3 (Approach 1 projections): (params, FLOPs, tokens) rows."""
    return tuple((float(r["params"]), float(r["flops"]), float(r["tokens"])) for r in read_rows("chinchilla_table3.csv"))


@dataclass(frozen=True)
class ModelPointRow:
    """A trained model's parameters and training tokens, with the source."""

    key: str
    name: str
    params: float
    tokens: float
    source: str


def load_model_points() -> dict[str, ModelPointRow]:
    """Llama 3 405B and the lecture's 1.4B example, by key."""
    return {r["key"]: ModelPointRow(r["key"], r["name"], float(r["params"]), float(r["tokens"]), r["source"])
            for r in read_rows("model_points.csv")}
