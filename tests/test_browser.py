"""HTML in a real browser: headless Chromium opens the page; every image must load and
the console must stay free of errors (tests/_browser.py drives it).

The report's own check is in tests/test_explain.py. The built documentation exists only
after the docs build, which .ci/run runs after the tests: it then runs this file again
with MNIST_ESTIMATORS_DOCS_HTML pointing to docs/_build/html/index.html."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _browser import NO_CHROMIUM, chromium, open_page

DOCS = os.environ.get("MNIST_ESTIMATORS_DOCS_HTML")

pytestmark = pytest.mark.skipif(chromium() is None, reason=NO_CHROMIUM)


def _clean(page: dict) -> None:
    assert page["loaded"], "the load event never fired"
    broken = [i for i in page["images"] if not (i["complete"] and i["width"] > 0)]
    assert broken == [], f"images that did not load: {broken}"
    assert page["console_errors"] == [], page["console_errors"]
    assert page["exceptions"] == [], page["exceptions"]
    assert page["failed_requests"] == [], page["failed_requests"]


def test_the_check_sees_what_a_reader_would_see_broken(tmp_path):
    """The check can fail: a missing image, a console error and an exception are caught."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img src="missing.png">'
        '<script>console.error("boom"); notDefined();</script></body></html>'
    )
    seen = open_page(page)
    assert seen["loaded"] and seen["images"][0]["width"] == 0
    assert any("boom" in m for m in seen["console_errors"])
    assert any("missing.png" in m for m in seen["console_errors"])
    assert seen["exceptions"] and seen["failed_requests"]
    with pytest.raises(AssertionError):
        _clean(seen)


@pytest.mark.skipif(
    not DOCS,
    reason="the docs are built after the test run: .ci/run builds them, then runs this file "
    "with MNIST_ESTIMATORS_DOCS_HTML=docs/_build/html/index.html",
)
def test_built_docs_index_opens_without_errors():
    index = Path(DOCS)
    assert index.is_file(), f"{index} does not exist: build the docs first"
    page = open_page(index)
    _clean(page)
    assert page["images"], "the docs' index shows no image: is the gallery figure missing?"
