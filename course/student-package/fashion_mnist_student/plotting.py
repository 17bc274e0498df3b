"""Matplotlib set-up so Chinese class names render with a real CJK font.

The font is Noto Sans CJK SC from the ``mplfonts`` wheel, so it works the same on Linux, macOS and
Windows laptops without a system font; Latin text keeps DejaVu Sans's look through fallback.
"""

from pathlib import Path

CJK_FONT = "Noto Sans CJK SC"
_FONT_FILE = "NotoSansCJKsc-Regular.otf"


def cjk_font_path():
    import mplfonts
    path = Path(mplfonts.__file__).parent / "fonts" / _FONT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; reinstall it: pip install --force-reinstall mplfonts")
    return path


def setup_matplotlib(lang="en"):
    """Register the CJK font and put it first for Chinese pages (after DejaVu Sans for English)."""
    import matplotlib
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(cjk_font_path()))
    if lang == "zh":
        family = [CJK_FONT, "DejaVu Sans"]
    else:
        family = ["DejaVu Sans", CJK_FONT]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = family + [
        f for f in matplotlib.rcParams["font.sans-serif"] if f not in family]
    matplotlib.rcParams["axes.unicode_minus"] = False  # CJK fonts lack the Unicode minus glyph
