"""The fonts the PDF embeds, shipped in ``report_templates/fonts``.

WeasyPrint lays text out with the fonts it finds: the host's, unless a stylesheet names others
with ``@font-face``. The PDF names only these: Noto Sans and Noto Sans Mono for text and code,
Noto Sans Math and Symbols 2 for arrows, operators and marks, and Noto Sans CJK for Chinese,
Japanese and Korean names (all SIL Open Font License 1.1, subset; see the fonts' README.md),
so its line breaks and page count do not depend on what a machine has installed. Only
characters outside these subsets fall back to the host's fonts.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

SANS = "cdc-preflight Sans"
MONO = "cdc-preflight Mono"
MATH = "cdc-preflight Math"
SYMBOLS = "cdc-preflight Symbols"
CJK = "cdc-preflight CJK"
#: The families after the first, in the order a missing glyph looks for them.
FALLBACKS = (MATH, SYMBOLS, CJK)

#: family, weight, style, file
FACES = (
    (SANS, "normal", "normal", "NotoSans-Regular.ttf"),
    (SANS, "bold", "normal", "NotoSans-Bold.ttf"),
    (SANS, "normal", "italic", "NotoSans-Italic.ttf"),
    (SANS, "bold", "italic", "NotoSans-BoldItalic.ttf"),
    (MONO, "normal", "normal", "NotoSansMono-Regular.ttf"),
    (MONO, "bold", "normal", "NotoSansMono-Bold.ttf"),
    (MATH, "normal", "normal", "NotoSansMath-Regular.ttf"),
    (SYMBOLS, "normal", "normal", "NotoSansSymbols2-Regular.ttf"),
    (CJK, "normal", "normal", "NotoSansCJKsc-Regular.otf"),
)


def font_stack(first: str) -> str:
    """A CSS font-family list: ``first``, then the packaged fallbacks, then the host's."""
    return ", ".join(f'"{family}"' for family in (first, *FALLBACKS)) + ", sans-serif"


def fonts_dir() -> Path:
    """The directory of the packaged font files (a real directory: wheels install unzipped)."""
    with as_file(files("report_templates").joinpath("fonts")) as path:
        return Path(path)


def font_faces_css() -> str:
    """``@font-face`` rules naming the packaged files by ``file:`` URL."""
    folder = fonts_dir()
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: {style}; '
        f'src: url("{(folder / name).as_uri()}") format("{_format(name)}"); }}'
        for family, weight, style, name in FACES
    )


def _format(name: str) -> str:
    return "opentype" if name.endswith(".otf") else "truetype"


def is_packaged_font(url: str) -> bool:
    """``url`` is the ``file:`` URL of one of the packaged fonts (the PDF fetches nothing else)."""
    folder = fonts_dir()
    return url in {(folder / name).as_uri() for *_, name in FACES}
