"""Every action code written in the source has a readable name in security.audit_actions."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from security.audit_actions import ACTION_LABELS, action_choices, action_label

# Where audit events are recorded: our apps, not tests (their codes are made up) nor tools.
SKIP_DIRS = {".venv", "node_modules", "tests", "migrations", "bench", "locale", "static", ".data", ".git"}
# An `action=` keyword (audit_record's, or a helper's that passes it on) and the rest of its line,
# where the code's literal or literals are (`action="a.b" if ok else "a.c"`).
ACTION_KEYWORD = re.compile(r"\baction=([^\n]*)")
# `REQUESTS_ACTION = "demo.requests_seed"`: a code kept in a constant before it is passed.
ACTION_CONSTANT = re.compile(r"^[A-Z_]*ACTION\s*=\s*(\"[^\"]+\")", re.MULTILINE)
DOTTED_LITERAL = re.compile(r"(?<![f\w])\"([a-z0-9_]+(?:\.[a-z0-9_]+)+)\"")


def _source_files():
    for path in Path(settings.BASE_DIR).rglob("*.py"):
        parts = set(path.relative_to(settings.BASE_DIR).parts[:-1])
        if not parts & SKIP_DIRS and not path.name.startswith("test_"):
            yield path


def _codes_in_source() -> dict[str, str]:
    """Each literal action code with one place it appears."""
    found: dict[str, str] = {}
    for path in _source_files():
        text = path.read_text(encoding="utf-8")
        for match in ACTION_KEYWORD.finditer(text):
            for code in DOTTED_LITERAL.findall(match.group(1)):
                found.setdefault(code, f"{path.relative_to(settings.BASE_DIR)}")
        for literal in ACTION_CONSTANT.findall(text):
            for code in DOTTED_LITERAL.findall(literal):
                found.setdefault(code, f"{path.relative_to(settings.BASE_DIR)}")
    return found


def test_the_scan_finds_the_codes_it_must():
    codes = _codes_in_source()
    # One plain call, one kept in a constant, one in the else branch of a conditional.
    assert {"auth.sign_in_failed", "demo.history_seed", "exchange.push.failed"} <= codes.keys()


def test_every_action_code_in_the_source_has_a_label():
    unlabelled = {code: where for code, where in _codes_in_source().items() if code not in ACTION_LABELS}
    assert not unlabelled, f"Add these audit actions to security/audit_actions.py: {unlabelled}"


def test_labels_are_read_in_the_reader_language_and_unknown_codes_show_as_is():
    with translation.override("en"):
        assert action_label("auth.sign_in_failed") == "Sign-in failed"
        assert ("resident.reveal", "Resident's full personal data revealed") in action_choices()
    assert action_label("something.new") == "something.new"


@pytest.mark.django_db
def test_the_admin_names_actions_and_filters_by_them(rf):
    from django.contrib import admin

    from security.admin import AuditActionFilter, AuditEventAdmin
    from security.audit import audit_record
    from security.models import AuditEvent

    event = audit_record(actor=None, action="auth.sign_in_failed")
    audit_record(actor=None, action="auth.sign_out")
    model_admin = AuditEventAdmin(AuditEvent, admin.site)
    with translation.override("en"):
        assert model_admin.action_name(event) == "Sign-in failed"
        request = rf.get("/admin/security/auditevent/", {"action": "auth.sign_in_failed"})
        chosen = AuditActionFilter(request, {"action": ["auth.sign_in_failed"]}, AuditEvent, model_admin)
        assert ("auth.sign_in_failed", "Sign-in failed") in chosen.lookup_choices
    assert list(chosen.queryset(request, AuditEvent.objects.all())) == [event]
