"""Build the PDF's fonts in report_templates/fonts from Debian's Noto packages (OFL 1.1).

    python scripts/build_fonts.py            # downloads the three .deb files with apt-get
    python scripts/build_fonts.py --from DIR # DIR holds usr/share/fonts/... already extracted

Not run by CI: the subset files are committed. It is here so that anyone can check how they
were made, and make them again (for instance with a wider CJK repertoire). Needs fontTools
(a WeasyPrint dependency) and, without ``--from``, apt-get and dpkg-deb.

The CJK face is Noto Sans CJK SC, subset to the characters of the common national character
sets: GB 2312 level 1 (3,755 hanzi), Big5 level 1 (5,401), JIS X 0208 level 1 (2,965 kanji),
KS X 1001 Hangul (2,350 syllables), with kana, Hangul compatibility jamo, CJK punctuation and
full-width forms. Rarer characters fall back to the host's fonts.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

OUT = Path(__file__).resolve().parents[1] / "report_templates" / "fonts"
PACKAGES = ("fonts-noto-core", "fonts-noto-mono", "fonts-noto-cjk")
TTF = Path("usr/share/fonts/truetype/noto")
OTF = Path("usr/share/fonts/opentype/noto")

#: Latin (with extensions and IPA), Greek, Cyrillic, general punctuation, super- and
#: subscripts, currency, letterlike symbols, number forms, ligatures, the replacement char.
TEXT = [
    (0x0000, 0x024F),
    (0x0250, 0x036F),
    (0x0370, 0x04FF),
    (0x1E00, 0x1EFF),
    (0x2000, 0x218F),
    (0xFB00, 0xFB06),
    (0xFFFD, 0xFFFD),
]
#: What a monospaced face adds for code, tables and diagrams: arrows, operators, technical
#: symbols, box drawing, blocks and geometric shapes.
MONO_EXTRA = [(0x2190, 0x23FF), (0x2500, 0x25FF)]
#: Arrows, mathematical operators, technical symbols (≥, →, ≈ ...) for the text face.
MATH = [(0x2190, 0x23FF), (0x27F0, 0x27FF), (0x2900, 0x297F)]
#: Geometric shapes, miscellaneous symbols and dingbats (▲, ✓, ⚠ ...).
SYMBOLS = [(0x25A0, 0x27BF)]
#: ASCII and the no-break space (spaces between CJK words), CJK punctuation, kana, Hangul
#: compatibility jamo, half- and full-width forms.
CJK_BLOCKS = [
    (0x0020, 0x007E),
    (0x00A0, 0x00A0),
    (0x3000, 0x30FF),
    (0x3130, 0x318F),
    (0xFF00, 0xFFEF),
]
#: The national character sets' common levels: (codec, lead bytes, trail bytes).
CJK_SETS = [
    ("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF)),
    ("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)]),
    ("euc_jp", range(0xB0, 0xD0), range(0xA1, 0xFF)),
    ("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF)),
]

#: output file, source file (relative to the extracted packages), face index, repertoire
FACES: list[tuple[str, Path, int, str]] = [
    ("NotoSans-Regular.ttf", TTF / "NotoSans-Regular.ttf", 0, "text"),
    ("NotoSans-Bold.ttf", TTF / "NotoSans-Bold.ttf", 0, "text"),
    ("NotoSans-Italic.ttf", TTF / "NotoSans-Italic.ttf", 0, "text"),
    ("NotoSans-BoldItalic.ttf", TTF / "NotoSans-BoldItalic.ttf", 0, "text"),
    ("NotoSansMono-Regular.ttf", TTF / "NotoSansMono-Regular.ttf", 0, "mono"),
    ("NotoSansMono-Bold.ttf", TTF / "NotoSansMono-Bold.ttf", 0, "mono"),
    ("NotoSansMath-Regular.ttf", TTF / "NotoSansMath-Regular.ttf", 0, "math"),
    ("NotoSansSymbols2-Regular.ttf", TTF / "NotoSansSymbols2-Regular.ttf", 0, "symbols"),
    ("NotoSansCJKsc-Regular.otf", OTF / "NotoSansCJK-Regular.ttc", 2, "cjk"),
]


def _ranges(pairs: Iterable[tuple[int, int]]) -> set[int]:
    return {code for low, high in pairs for code in range(low, high + 1)}


def cjk_characters() -> set[int]:
    found: set[int] = set()
    for codec, leads, trails in CJK_SETS:
        for lead in leads:
            for trail in trails:
                try:
                    found.update(map(ord, bytes((lead, trail)).decode(codec)))
                except UnicodeDecodeError:
                    continue
    return found | _ranges(CJK_BLOCKS)


def repertoire(name: str) -> set[int]:
    return {
        "text": lambda: _ranges(TEXT),
        "mono": lambda: _ranges(TEXT + MONO_EXTRA),
        "math": lambda: _ranges(MATH),
        "symbols": lambda: _ranges(SYMBOLS),
        "cjk": cjk_characters,
    }[name]()


def _options() -> subset.Options:
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += ["FFTM"]
    return options


def build(root: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for out, source, index, chars in FACES:
        path = root / source
        font = TTCollection(path).fonts[index] if path.suffix == ".ttc" else TTFont(path)
        subsetter = subset.Subsetter(_options())
        subsetter.populate(unicodes=sorted(repertoire(chars)))
        subsetter.subset(font)
        font.save(OUT / out)
        print(f"{out}: {(OUT / out).stat().st_size / 1024:.0f} KiB")


def download(into: Path) -> Path:
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=into, check=True)
    root = into / "root"
    for deb in sorted(into.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="root", type=Path, help="extracted packages")
    args = parser.parse_args()
    if args.root is not None:
        build(args.root)
        return
    with tempfile.TemporaryDirectory() as tmp:
        build(download(Path(tmp)))


if __name__ == "__main__":
    main()
