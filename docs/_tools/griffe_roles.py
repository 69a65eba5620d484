"""A griffe extension for the site: Sphinx cross-reference roles in docstrings
(``:func:`~energyai.x.y``` and the like) become inline code (``y``), which Markdown renders."""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|data|attr|exc|obj|const|ref|doc):`~?([^`]+)`")


def _short(match: re.Match[str]) -> str:
    text = match.group(1)
    tilde = match.group(0).split("`", 1)[1].startswith("~")
    return f"`{text.rsplit('.', 1)[-1] if tilde else text}`"


class Roles(griffe.Extension):
    """Rewrite the roles of every object's docstring when griffe loads it."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_short, obj.docstring.value)
