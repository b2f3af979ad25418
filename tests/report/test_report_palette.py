"""One palette that does not mislead: contrast ratios computed from report.css's variables
(WCAG 2 relative luminance), the way a reviewer with a contrast checker would."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

SEVERITIES = ("critical", "high", "medium", "low", "info")
WINDOWS = ("online", "reload", "restart", "coordination")
_ROOT = re.compile(r":root\s*\{([^}]*)\}")
_VAR = re.compile(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{6})\s*;")


def _palette() -> dict[str, str]:
    css = files("report_templates").joinpath("report.css").read_text(encoding="utf-8")
    root = _ROOT.search(css)
    assert root is not None
    return {name[2:]: value.lower() for name, value in _VAR.findall(root.group(1))}


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("name", [*SEVERITIES, "zero", "muted", "ready"])
def test_text_colours_are_readable_on_white(name: str) -> None:
    """WCAG AA for normal text: 4.5:1. Zero counts included: they are read, not decoration."""
    assert contrast(_palette()[name], "#ffffff") >= 4.5


@pytest.mark.parametrize("name", SEVERITIES)
def test_severity_text_is_readable_on_its_own_badge(name: str) -> None:
    palette = _palette()
    assert contrast(palette[name], palette[f"{name}-bg"]) >= 4.5


def test_critical_and_high_differ_in_lightness_not_only_in_hue() -> None:
    palette = _palette()
    assert contrast(palette["critical"], palette["high"]) >= 1.5


def test_change_windows_have_their_own_colours() -> None:
    palette = _palette()
    severity = {palette[s] for s in SEVERITIES} | {palette["ready"]}
    windows = [palette[f"window-{w}"] for w in WINDOWS]
    assert len(set(windows)) == len(windows)
    assert not severity & set(windows)
    for colour in windows:  # borders and bars: WCAG's 3:1 for graphical objects
        assert contrast(colour, "#ffffff") >= 3.0
