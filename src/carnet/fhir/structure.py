"""Structural checks of an incoming FHIR JSON document that the ``fhir.resources`` models do not make
safely: every object carrying ``resourceType`` (entries' resources, ``contained`` resources, anywhere)
must name an R4 resource type as a string. The models look the name up and fail with ``KeyError`` or
``TypeError`` on "Foo", ``5``, ``null`` or a list, which would be a 500; here it is a 400 OperationOutcome
naming the element (``Bundle.entry[1].resource.contained[0].resourceType``).

The document's nesting is already bounded (``carnet.api.bodies``), so the walk is cheap; it is iterative
anyway.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext_lazy as _

_TYPE_NAME = re.compile(r"[A-Z][A-Za-z]{0,63}")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class StructureError(Exception):
    def __init__(self, message: Any, expression: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.expression = expression


@lru_cache(maxsize=256)
def is_resource_type(name: str) -> bool:
    """``name`` is an R4 (R4B models) resource type: ``Patient`` yes, ``Coding`` or ``Foo`` no."""
    if not _TYPE_NAME.fullmatch(name):
        return False
    from fhir.resources.R4B import get_fhir_model_class
    from fhir.resources.R4B.resource import Resource

    try:
        return issubclass(get_fhir_model_class(name), Resource)
    except (ValueError, AttributeError, TypeError):
        return False


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if _KEY.fullmatch(key) else f"{path}.?"


def check_resource_types(document: Any, root: str = "Bundle") -> None:
    """Raise ``StructureError`` at the first ``resourceType`` that is not a string naming a resource type."""
    pending: list[tuple[Any, str]] = [(document, root)]
    while pending:
        node, path = pending.pop()
        if isinstance(node, list):
            pending.extend((item, f"{path}[{i}]") for i, item in reversed(list(enumerate(node))))
            continue
        if not isinstance(node, dict):
            continue
        if "resourceType" in node:
            kind = node["resourceType"]
            where = f"{path}.resourceType"
            if not isinstance(kind, str):
                raise StructureError(
                    _("%(path)s : une chaîne de caractères est attendue.") % {"path": where}, where
                )
            if not is_resource_type(kind):
                raise StructureError(_("%(path)s : type de ressource inconnu.") % {"path": where}, where)
        pending.extend(
            (value, _child(path, str(key)))
            for key, value in reversed(list(node.items()))
            if isinstance(value, (dict, list))
        )
