"""Sphinx configuration: Markdown pages (MyST), numpydoc API reference, executed gallery.

Build: ``pip install -e ".[docs]"`` then ``sphinx-build -W -b html docs docs/_build/html``
(``MNIST_ESTIMATORS_QUICK=1`` caps the gallery's samples and epochs, as CI does).
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))

from offline_inventories import write_inventories  # noqa: E402

import mnist_estimators  # noqa: E402

project = "mnist-estimators"
author = "mnist-estimators developers"
copyright = "2026, mnist-estimators developers"
release = version = mnist_estimators.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",
    "sphinxarg.ext",
    "sphinx_gallery.gen_gallery",
    "model_zoo",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_ext", "auto_examples/*.ipynb", "**/*.codeobj.json"]
html_theme = "furo"
html_title = f"mnist-estimators {release}"
html_static_path = ["_static"]

# API reference: one page per public name, from the numpydoc docstrings.
autosummary_generate = True
# scikit-learn's generated metadata-routing setters document themselves with links
# into scikit-learn's glossary; users find them there.
_REQUEST_SETTERS = ",".join(
    f"set_{method}_request"
    for method in ("fit", "partial_fit", "score", "predict", "predict_proba", "transform")
)
autodoc_default_options = {"members": True, "exclude-members": _REQUEST_SETTERS}
autodoc_inherit_docstrings = False  # Keras' callback docstrings are not reStructuredText
numpydoc_show_class_members = False
numpydoc_validation_checks: set = set()

myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# Intersphinx without network: inventories written from the installed packages.
intersphinx_mapping = write_inventories(HERE / "_build" / "inventories")

# The gallery: every examples/plot_*.py, executed. MNIST_ESTIMATORS_QUICK=1 (CI) caps
# samples and epochs; the scripts write only into temporary folders.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "reference_url": {"mnist_estimators": None},
}
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# sphinx-gallery runs each example from its own folder: a relative data path given on the
# command line (MNIST_ESTIMATORS_DATA=../shared/data/mnist) is made absolute here, against
# the folder sphinx-build was started in ($PWD: Sphinx runs this file from docs/).
if os.environ.get("MNIST_ESTIMATORS_DATA"):
    started_in = os.environ.get("PWD", os.getcwd())
    os.environ["MNIST_ESTIMATORS_DATA"] = os.path.normpath(
        os.path.join(started_in, os.environ["MNIST_ESTIMATORS_DATA"])
    )
