"""Fixtures for the report renderer tests; the builders live in report_factory.py."""

from __future__ import annotations

import shutil

import pytest
from report_factory import build, hostile_findings, realistic_findings

from audit.report.model import Report


@pytest.fixture
def report() -> Report:
    """A realistic 30-finding report with hostile identifiers mixed in."""
    return build(realistic_findings(30) + hostile_findings())


@pytest.fixture
def small_report() -> Report:
    """Few findings, every section present: cheap enough for PDF tests."""
    return build(realistic_findings(8) + hostile_findings()[:2])


@pytest.fixture
def pdftotext() -> str:
    path = shutil.which("pdftotext")
    if path is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    return path
