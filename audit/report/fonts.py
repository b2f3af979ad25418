"""The fonts the PDF embeds, shipped in ``report_templates/fonts``.

WeasyPrint lays text out with the fonts it finds: the host's, unless a stylesheet names others
with ``@font-face``. The PDF names only these (``cdc-preflight Sans`` and ``cdc-preflight
Mono``), so its line breaks and page count do not depend on what a machine has installed.
Characters they lack (CJK) fall back to the host's fonts (see the fonts' README.md).
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

SANS = "cdc-preflight Sans"
MONO = "cdc-preflight Mono"

#: family, weight, style, file
FACES = (
    (SANS, "normal", "normal", "DejaVuSans.ttf"),
    (SANS, "bold", "normal", "DejaVuSans-Bold.ttf"),
    (SANS, "normal", "italic", "DejaVuSans-Oblique.ttf"),
    (SANS, "bold", "italic", "DejaVuSans-BoldOblique.ttf"),
    (MONO, "normal", "normal", "DejaVuSansMono.ttf"),
    (MONO, "bold", "normal", "DejaVuSansMono-Bold.ttf"),
)


def fonts_dir() -> Path:
    """The directory of the packaged font files (a real directory: wheels install unzipped)."""
    with as_file(files("report_templates").joinpath("fonts")) as path:
        return Path(path)


def font_faces_css() -> str:
    """``@font-face`` rules naming the packaged files by ``file:`` URL."""
    folder = fonts_dir()
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: {style}; '
        f'src: url("{(folder / name).as_uri()}") format("truetype"); }}'
        for family, weight, style, name in FACES
    )


def is_packaged_font(url: str) -> bool:
    """``url`` is the ``file:`` URL of one of the packaged fonts (the PDF fetches nothing else)."""
    folder = fonts_dir()
    return url in {(folder / name).as_uri() for *_, name in FACES}
