"""The committed complete-MNIST reports (docs/reports/) rebuild exactly from the records
committed beside them: every table, effect, p-value and verdict is recomputed here from
the stored predictions, fold scores and timings, and the report's text must come out
byte for byte the same."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mnist_estimators.evaluation.explanation import Explanation
from mnist_estimators.evaluation.runs import load_run
from mnist_estimators.reporting.explanation import explanation_markdown
from mnist_estimators.reporting.figures import FIGURES
from mnist_estimators.reporting.report import report_markdown

REPORTS = Path(__file__).resolve().parents[1] / "docs" / "reports"
ARCHIVES = sorted(REPORTS.glob("*/records.tar.xz"))
MAX_ARCHIVE_BYTES = 5 * 2**20


def test_the_complete_mnist_runs_keep_their_records():
    assert {a.parent.name for a in ARCHIVES} >= {"explain-mnist", "full-mnist"}


@pytest.mark.parametrize("archive", ARCHIVES, ids=[a.parent.name for a in ARCHIVES])
def test_a_committed_report_rebuilds_from_its_records(archive):
    assert os.path.getsize(archive) <= MAX_ARCHIVE_BYTES
    result = load_run(archive)
    figures = {p.stem: p for p in archive.parent.glob("*.png")}
    if isinstance(result, Explanation):
        text = explanation_markdown(result, figures)
    else:  # in the report's order
        text = report_markdown(result, {k: figures[k] for k in FIGURES if k in figures})
    committed = (archive.parent / "report.md").read_text()
    assert text == committed
