"""The reporting wing: verdict sentences, report files and figures.

It reads results (:mod:`mnist_estimators.evaluation`) and writes what people read;
nothing below it imports it. :func:`write_report` is the one entry point that
writes files.
"""

from .figures import FiguresUnavailable, plot_all
from .report import report_markdown, report_title, verdict_sentence, verdict_sentences, write_report

__all__ = [
    "FiguresUnavailable",
    "plot_all",
    "report_markdown",
    "report_title",
    "verdict_sentence",
    "verdict_sentences",
    "write_report",
]
