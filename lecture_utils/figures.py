"""Figures for the overview notebooks and the README, drawn from data (never copied images).

``python -m lecture_utils.figures images`` (``make images``) rewrites every PNG in ``images/``:

- ``roller-flops.png``: Roller's "OPT setups" FLOPs split, recomputed with both accountings;
- ``wei-emergence-plot.png``: Wei et al. 2022 Table 1, the scale where abilities first beat random;
- ``landscape-timeline.png``: the lecture's language-model landscape as a timeline;
- ``design-decisions.png``: the five course components and their design decisions.

Each ``*_figure()`` returns a matplotlib Figure, so a notebook can show it with ``plt.show()``.
Deliberate simplifications: fixed sizes and colours; PNGs are written without a timestamp
(``metadata={"Software": None}``) so regenerating unchanged data gives identical files.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from .facts import ERAS, load_landscape_timeline, load_wei_table1
from .files import atomic_path
from .flops import PARTS, roller_comparison

__all__ = ["PART_LABELS", "PART_COLORS", "roller_flops_figure", "wei_emergence_figure",
           "landscape_timeline_figure", "design_decisions_figure", "FIGURES", "write_all", "main"]

PART_LABELS = {"attn_proj": "MHA 列（投影；Roller 记账还含 8sh）", "ffn": "前馈网络 (FFN)",
               "attn_scores": "注意力分数 (attn)", "logits": "输出 logits"}
PART_COLORS = {"attn_proj": "#4C72B0", "ffn": "#DD8452", "attn_scores": "#55A868", "logits": "#C44E52"}
BAR_ORDER = ("ffn", "attn_proj", "attn_scores", "logits")  # biggest first, so bars read left to right


def _pyplot():
    """pyplot with the series' defaults and a CJK font (idempotent)."""
    from . import plotting

    plotting.configure_matplotlib()
    import matplotlib.pyplot as plt

    return plt


def stacked_shares(ax, labels: list[str], shares_by_part: dict[str, list[float]], title: str) -> None:
    """Horizontal 100% stacked bars: one bar per label, one segment per part (percent)."""
    left = [0.0] * len(labels)
    for part in BAR_ORDER:
        values = shares_by_part[part]
        ax.barh(labels, values, left=left, color=PART_COLORS[part], label=PART_LABELS[part])
        left = [a + b for a, b in zip(left, values)]
    ax.set_xlim(0, 100)
    ax.set_xlabel("训练 FLOPs 占比 (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", visible=False)


def roller_flops_figure():
    """Stacked shares per OPT size: 「Roller 记账」 (published values as ticks) vs 「矩阵乘记账」."""
    plt = _pyplot()
    rows = roller_comparison()
    labels = [str(r["model"]) for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.6), sharey=True)
    for ax, accounting, title in [(axes[0], "roller", "Roller 记账（复现推文表格）"),
                                  (axes[1], "standard", "矩阵乘记账（训练 ×3，投影 8h²）")]:
        stacked_shares(ax, labels, {p: [float(r[f"{p}_{accounting}"]) for r in rows] for p in PARTS}, title)
    # Published percentages as cumulative tick marks on the left panel: they sit on the boundaries.
    cumulative = [0.0] * len(rows)
    for part in BAR_ORDER[:-1]:
        cumulative = [c + float(r[f"{part}_published"]) for c, r in zip(cumulative, rows)]
        axes[0].scatter(cumulative, labels, marker="|", s=120, color="black", zorder=3,
                        label="推文公布值" if part == BAR_ORDER[0] else None)
    axes[0].set_ylabel("OPT 模型规模")
    axes[0].invert_yaxis()  # smallest model on top, like the table (the y axis is shared)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=5, fontsize=8)
    fig.suptitle("随模型变大，注意力分数与 logits 的占比缩小，FFN 成为主力（OPT 配置，s = 2048）",
                 fontsize=10)
    return fig


def wei_emergence_figure():
    """Wei et al. 2022 Table 1 as a dot plot: training FLOPs where each ability first beats random."""
    plt = _pyplot()
    rows = load_wei_table1()
    models = sorted({r.model for r in rows}, key=[r.model for r in rows].index)
    cmap = plt.get_cmap("tab10")
    colors = {m: cmap(i) for i, m in enumerate(models)}
    fig, ax = plt.subplots(figsize=(7.5, 6.0))
    ys = list(range(len(rows)))
    for y, r in zip(ys, rows):
        ax.scatter(r.flops, y, color=colors[r.model], marker="o" if r.kind == "few-shot" else "D", s=40,
                   zorder=3)
        params = f"{r.params / 1e9:g}B" if r.params >= 1e9 else f"{r.params / 1e6:g}M"
        ax.annotate(f"{r.model} {params}", (r.flops, y), xytext=(6, -3), textcoords="offset points",
                    fontsize=7)
    n_few = sum(r.kind == "few-shot" for r in rows)
    ax.axhline(n_few - 0.5, color="gray", linestyle="--", linewidth=0.8)
    ax.text(1.2e19, n_few - 0.9, "少样本提示 (few-shot) ↑", fontsize=8, color="gray")
    ax.text(1.2e19, n_few + 0.2, "增强提示 / 微调 (augmented) ↓", fontsize=8, color="gray", va="top")
    ax.set_yticks(ys, [r.task_zh for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(1e19, 2e25)
    ax.set_xlabel("训练算力 (FLOPs，对数轴)")
    for m in models:
        ax.scatter([], [], color=colors[m], label=m)
    ax.legend(loc="upper left", fontsize=7, ncol=2, frameon=True)
    ax.set_title("能力首次超过随机水平时的模型规模（Wei et al. 2022 表 1，arXiv:2206.07682）", fontsize=9)
    return fig


def landscape_timeline_figure():
    """The lecture's landscape milestones, one row each, coloured by era (x = year)."""
    plt = _pyplot()
    entries = sorted(load_landscape_timeline(), key=lambda e: e.date)
    cmap = plt.get_cmap("Set1")
    colors = {era: cmap(i) for i, era in enumerate(ERAS)}
    x_min = 2002.0
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    for y, e in enumerate(entries):
        x = max(e.date, x_min)
        off_axis = e.date < x_min  # Shannon (1951): drawn at the left edge with its year in the label
        ax.scatter(x, y, color=colors[e.era], marker="<" if off_axis else "o", s=30, zorder=3)
        label = f"{e.label}（{int(e.date)}）" if off_axis else e.label
        ax.annotate(label, (x, y), xytext=(5, -3), textcoords="offset points", fontsize=7.5)
    for era, name in ERAS.items():
        ax.scatter([], [], color=colors[era], label=name)
    ax.set_yticks([])
    ax.invert_yaxis()
    ax.set_xlim(x_min - 0.5, 2030.5)
    ax.set_xticks(range(2003, 2026, 2))
    ax.set_xlabel("年份（arXiv 论文的年月；其他按发表年份）")
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title("语言模型发展脉络（CS336 第一讲 current_landscape 中的里程碑）", fontsize=10)
    return fig


DESIGN_DECISIONS = {
    "基础 (basics)": ["分词 tokenization", "模型架构", "损失函数", "优化器", "学习率"],
    "系统 (systems)": ["核函数 kernels", "并行化", "量化", "激活重算", "CPU 卸载", "推理"],
    "规模法则\n(scaling laws)": ["规模化序列", "模型复杂度", "损失指标", "参数化形式"],
    "数据 (data)": ["评估", "数据精选", "转换", "过滤", "去重", "混合配比"],
    "对齐 (alignment)": ["监督微调 SFT", "强化学习", "偏好数据", "合成数据", "验证器"],
}


def design_decisions_figure():
    """The five course components as coloured columns of design decisions."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.0, 3.2))
    cmap = plt.get_cmap("Pastel1")
    for i, (component, items) in enumerate(DESIGN_DECISIONS.items()):
        ax.add_patch(plt.Rectangle((i + 0.04, 0.02), 0.92, 0.96, color=cmap(i), zorder=1))
        ax.text(i + 0.5, 0.9, component, ha="center", va="center", fontsize=9.5)
        for j, item in enumerate(items):
            ax.text(i + 0.5, 0.74 - j * 0.12, item, ha="center", va="center", fontsize=8.5)
    ax.set_xlim(0, len(DESIGN_DECISIONS))
    ax.set_ylim(0, 1)
    ax.axis("off")
    ax.set_title("课程的五个组成部分与各自的设计决策（一切都关乎效率）", fontsize=10)
    return fig


FIGURES: dict[str, Callable] = {
    "roller-flops.png": roller_flops_figure,
    "wei-emergence-plot.png": wei_emergence_figure,
    "landscape-timeline.png": landscape_timeline_figure,
    "design-decisions.png": design_decisions_figure,
}


def write_all(out_dir: str | Path, names: list[str] | None = None) -> list[Path]:
    """Draw every figure (or just ``names``) as a PNG into ``out_dir``, atomically; return the paths."""
    unknown = set(names or []) - set(FIGURES)
    if unknown:
        raise ValueError(f"unknown figure(s) {sorted(unknown)}; choose from {sorted(FIGURES)}")
    plt = _pyplot()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or list(FIGURES):
        fig = FIGURES[name]()
        try:
            with atomic_path(out_dir / name) as tmp:
                fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
        finally:
            plt.close(fig)
        written.append(out_dir / name)
    return written


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m lecture_utils.figures OUT_DIR``."""
    parser = argparse.ArgumentParser(description="Regenerate every figure PNG from data.")
    parser.add_argument("out_dir", help="folder to write the PNGs into (the repository's images/)")
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    for path in write_all(args.out_dir):
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
