"""``report.html``: a report's Markdown as one self-contained HTML file.

The figures are embedded as ``data:`` URIs, the style sheet is inline, and there
is no script and no link to anything outside the file: it reads the same offline,
mailed, or opened from an archive. Markdown is rendered by ``markdown-it-py``
(CommonMark plus tables), with raw HTML in the Markdown escaped.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from markdown_it import MarkdownIt

from .._files import atomic_write_text

__all__ = ["markdown_to_html", "write_html"]

_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}

_STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b;
       max-width: 62rem; margin: 2rem auto; padding: 0 1rem; }
h1, h2, h3 { line-height: 1.25; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code { background: #f3f3f3; padding: 0 .2rem; border-radius: 3px; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; font-size: 13px; }
pre code { background: none; padding: 0; }
img { max-width: 100%; height: auto; }
blockquote { margin: .5rem 0; padding: .2rem 1rem; border-left: 4px solid #9ab; color: #333; }
"""

_IMG_SRC = re.compile(r'(<img\s[^>]*?src=")([^"]+)(")')


def _embedded(src: str, base_dir: Path) -> str:
    """``src`` as a data URI when it names a local image file; unchanged otherwise."""
    if src.startswith(("data:", "http:", "https:")):
        return src
    path = base_dir / html.unescape(src)
    mime = _MIME.get(path.suffix.lower())
    if mime is None or not path.is_file():
        raise FileNotFoundError(
            f"report.html cannot embed {src!r}: no such image in {base_dir}. The report's "
            "Markdown names a figure that was not written."
        )
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def markdown_to_html(markdown: str, base_dir, title: str) -> str:
    """A complete HTML document of ``markdown``, its images embedded from ``base_dir``.

    Parameters
    ----------
    markdown : str
        The report's Markdown; images are named relative to ``base_dir``.
    base_dir : str or Path
        The folder of the report and its figures.
    title : str
        The document's title.

    Returns
    -------
    str

    Raises
    ------
    FileNotFoundError
        An image the Markdown names is not in ``base_dir``.

    Examples
    --------
    >>> page = markdown_to_html("# Title\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |\\n", ".", "T")
    >>> "<th>a</th>" in page and "<td>2</td>" in page and "<script" not in page
    True
    """
    base_dir = Path(base_dir)
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    body = _IMG_SRC.sub(lambda m: m.group(1) + _embedded(m.group(2), base_dir) + m.group(3), body)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{body}</body>\n</html>\n"
    )


def write_html(markdown: str, out_dir, title: str, name: str = "report.html") -> Path:
    """Write :func:`markdown_to_html` of ``markdown`` to ``out_dir/name``, atomically."""
    path = Path(out_dir) / name
    atomic_write_text(path, markdown_to_html(markdown, out_dir, title))
    return path
