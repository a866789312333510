"""Residents' rights over their data (PIPL articles 44–47): the registry other apps fill.

Residents owns a person's own data export, their consents and the deletion of their account, but
the records live in apps that depend on residents (requests in `services`, the inbox in
`notifications`, exchanges in `exchange`), which residents must not import. So each of those apps
registers, from its AppConfig.ready(), what it holds about a person:

- a *section* of the export (`export(user)` returns JSON-ready data) and what account deletion does
  to it (`erase(user)`, called inside the deletion's transaction, returns counts for the audit
  event), with a sentence on what is kept and why;
- a *data use* source: the times others used the person's data (e.g. an exchange that named them);
- a *consent* the person can withdraw (and give again), with what withdrawing changes.

A later feature adds its own tables to the export and the deletion by registering here; nothing in
residents changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from security.models import User


@dataclass(frozen=True)
class DataSection:
    name: str
    title: Any  # a lazy translation
    export: Callable[[User], Any]
    erase: Callable[[User], dict] | None = None
    # Labels of the export's keys on the readable page, e.g. {"status": _("Status")}.
    labels: dict[str, Any] = field(default_factory=dict)
    # What account deletion keeps of this section, and why (shown on the deletion page).
    kept_after_deletion: Any = ""


@dataclass(frozen=True)
class DataUse:
    """One time someone other than the person used their data."""

    at: datetime
    kind: str  # "reveal", "view", "correction", "exchange", …
    who: str  # a role and the organisation or area they work for; not a person's name
    what: str = ""
    purpose: str = ""
    reference: str = ""


@dataclass(frozen=True)
class DataUseSource:
    name: str
    uses: Callable[..., list[DataUse]]  # uses(*, user, profile, limit) -> newest first


@dataclass(frozen=True)
class ConsentPurpose:
    purpose: str
    title: Any
    description: Any
    withdrawing_changes: Any
    # given(user) -> (given?, since when or None); None when the purpose does not apply to the user.
    given: Callable[[User], tuple[bool, datetime | None] | None]
    withdraw: Callable[[User], None]
    # give(user) -> None, or None here when giving needs a page of its own (give_url).
    give: Callable[[User], None] | None = None
    give_url: str = ""


_sections: dict[str, DataSection] = {}
_data_uses: dict[str, DataUseSource] = {}
_consents: dict[str, ConsentPurpose] = {}


def _register(registry: dict, name: str, item) -> None:
    # ready() can run twice (e.g. in tests that reload apps); the same registration is harmless,
    # two different ones under one name are a mistake.
    existing = registry.get(name)
    if existing is not None and existing != item:
        raise ImproperlyConfigured(f"{name!r} is registered twice with different definitions.")
    registry[name] = item


def register_section(
    name: str,
    *,
    title,
    export: Callable[[User], Any],
    erase: Callable[[User], dict] | None = None,
    labels: dict[str, Any] | None = None,
    kept_after_deletion="",
) -> None:
    _register(
        _sections,
        name,
        DataSection(
            name=name,
            title=title,
            export=export,
            erase=erase,
            labels=labels or {},
            kept_after_deletion=kept_after_deletion,
        ),
    )


def register_data_uses(name: str, *, uses: Callable[..., list[DataUse]]) -> None:
    _register(_data_uses, name, DataUseSource(name=name, uses=uses))


def register_consent(purpose: str, **definition) -> None:
    _register(_consents, purpose, ConsentPurpose(purpose=purpose, **definition))


def sections() -> list[DataSection]:
    return list(_sections.values())


def data_use_sources() -> list[DataUseSource]:
    return list(_data_uses.values())


def consent_purposes() -> list[ConsentPurpose]:
    return list(_consents.values())


def consent_purpose(purpose: str) -> ConsentPurpose | None:
    return _consents.get(purpose)
