"""The ``{model-zoo}`` directive: the docs' list of models, read from the registry.

The registry (:data:`mnist_estimators.estimators.registry.MODELS`) is the only list
of models; this page renders it as it stands when the docs are built, so a model
added there appears here without another edit.
"""

from __future__ import annotations

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from mnist_estimators.estimators.registry import models_markdown


class ModelZoo(SphinxDirective):
    """Insert the registry's table of models (parsed as Markdown by MyST)."""

    def run(self) -> list[nodes.Node]:
        container = nodes.container()
        self.state.nested_parse(StringList(models_markdown().splitlines()), 0, container)
        return container.children


def setup(app) -> dict:
    app.add_directive("model-zoo", ModelZoo)
    return {"parallel_read_safe": True}
