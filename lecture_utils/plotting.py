"""Plot defaults and a CJK font for Chinese labels.

Font choice, in order:
- Windows / macOS: the system's own Chinese UI font (微软雅黑, 苹方, ...), when matplotlib finds it;
- otherwise Noto Sans SC (the Simplified Chinese face of Noto Sans CJK, SIL OFL) shipped as a plain
  font file by the pip package `pylopdf-fonts-zh-cn` (we only read the file; nothing of it is imported);
- otherwise a Linux system CJK font, if any; else none (labels would show tofu, but nothing warns).

Deliberate simplification: we never probe font files glyph by glyph; a family known to cover
Simplified Chinese is trusted. Nothing here prints or warns, whatever fonts exist.
"""
from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path

from .encodings import package_file  # finds a package's data file without importing it

# System fonts that cover Simplified Chinese, by platform (family names as matplotlib reports them).
SYSTEM_CJK_FONTS = {
    "win32": ["Microsoft YaHei", "DengXian", "SimHei", "SimSun"],
    "darwin": ["PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti", "Songti SC", "Arial Unicode MS"],
    "linux": ["Noto Sans SC", "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Micro Hei",
              "WenQuanYi Zen Hei", "Droid Sans Fallback"],
}
# (package, file inside it): found without importing the package (its import would change rcParams).
PACKAGED_CJK_FONT = ("pylopdf_fonts_zh_cn", "NotoSansSC-Regular.otf")
LATIN_FONT = "DejaVu Sans"  # matplotlib's bundled font: Latin letters, digits and the minus sign

PLOT_DEFAULTS = {
    "figure.figsize": (6.0, 3.5),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,  # labels never clipped at the figure edge
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}


@contextlib.contextmanager
def quiet_font_manager():
    """Silence matplotlib's font-manager log (cache building, findfont) for the block."""
    logger = logging.getLogger("matplotlib.font_manager")
    old = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(old)


def packaged_cjk_font_path() -> Path | None:
    """Path of the pip-installed Noto Sans SC file, or None if the package is not installed."""
    return package_file(*PACKAGED_CJK_FONT)


def _platform_key() -> str:
    return {"win32": "win32", "darwin": "darwin"}.get(sys.platform, "linux")


def pick_cjk_font(platform: str | None = None, packaged: Path | None | bool = True) -> str | None:
    """Register and return a font family that can draw Chinese, or None if there is none.

    `platform` ("win32", "darwin", "linux") and `packaged` (a path, True = look it up, None = absent)
    exist so tests can simulate other machines.
    """
    from matplotlib import font_manager

    platform = platform or _platform_key()
    with quiet_font_manager():
        installed = {f.name for f in font_manager.fontManager.ttflist}
        if platform in ("win32", "darwin"):
            for name in SYSTEM_CJK_FONTS[platform]:
                if name in installed:
                    return name
        path = packaged_cjk_font_path() if packaged is True else packaged
        if path is not None and Path(path).is_file():
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path)).get_name()
        for name in SYSTEM_CJK_FONTS["linux"]:
            if name in installed:
                return name
    return None


def configure_matplotlib(platform: str | None = None, packaged: Path | None | bool = True) -> str | None:
    """Apply the series' plot defaults and CJK font; returns the CJK family used (or None)."""
    with quiet_font_manager():
        import matplotlib
        import matplotlib.pyplot  # noqa: F401  (activates the notebook backend before we set rc)

    matplotlib.rcParams.update(PLOT_DEFAULTS)
    cjk = pick_cjk_font(platform, packaged)
    # A list of families gives per-glyph fallback: Latin from DejaVu, Chinese from the CJK font.
    matplotlib.rcParams["font.family"] = [LATIN_FONT] + ([cjk] if cjk else [])
    return cjk
