"""The readable page of a person's data export: the same data as the JSON download, with the
keys in the reader's language and values written out (dates, yes/no, empty as a dash)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from residents.data_rights import sections


@dataclass
class Node:
    label: str
    text: str = ""
    children: list[Node] | None = None  # a record
    items: list[list[Node]] | None = None  # a list of records
    is_list: bool = False


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    return str(value)


def _nodes(value: dict, labels: dict) -> list[Node]:
    return [_node(str(labels.get(key, key)), item, labels) for key, item in value.items()]


def _node(label: str, value, labels: dict) -> Node:
    if isinstance(value, dict):
        return Node(label, children=_nodes(value, labels))
    if isinstance(value, list):
        if all(isinstance(item, dict) for item in value):
            return Node(label, items=[_nodes(item, labels) for item in value], is_list=True)
        return Node(label, text="、".join(_text(item) for item in value) or "—")
    return Node(label, text=_text(value))


def readable_sections(data: dict) -> list[Node]:
    """One node per registered section, in registration order."""
    return [_node(str(section.title), data.get(section.name), section.labels) for section in sections()]
