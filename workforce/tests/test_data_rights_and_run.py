from datetime import date

import pytest
from django.core.management import call_command

from residents.selectors import personal_data_of
from security import personal_data
from security.models import AuditEvent
from workforce.data_rights import worker_erase
from workforce.models import LevelProposal, WorkerProfile
from workforce.services import level_confirm, level_proposals_run
from workforce.tasks import level_proposals_run_task

pytestmark = pytest.mark.django_db


def test_a_workers_export_holds_their_profile_and_level_history(crew):
    WorkerProfile.objects.filter(pk=crew.p1.pk).update(
        skills=["mediation"], personal_phone_encrypted=personal_data.encrypt("13800138000")
    )
    [proposal] = [p for p in level_proposals_run(today=date(2026, 12, 7)) if p.profile_id == crew.p1.pk]
    level_confirm(actor=crew.head1, proposal=proposal, reason="考核合格")
    section = personal_data_of(user=crew.w1)["worker_profile"]
    assert section["level"] == 4 and section["skills"] == "Mediation"
    assert section["personal_phone"] == "13800138000" and section["work_phone"] == "08172223333"
    assert [(row["from_level"], row["to_level"], row["reason"]) for row in section["level_history"]] == [
        (1, 4, "考核合格")
    ]
    assert personal_data_of(user=crew.resident)["worker_profile"] is None


def test_deletion_erases_the_personal_phone_and_keeps_the_record(crew):
    WorkerProfile.objects.filter(pk=crew.p1.pk).update(personal_phone_encrypted=personal_data.encrypt("13800138000"))
    assert worker_erase(crew.w1) == {"personal_phones_erased": 1}
    crew.p1.refresh_from_db()
    assert crew.p1.personal_phone_encrypted == "" and crew.p1.level == 1


def test_the_yearly_command_lists_everyone_due(crew, capsys):
    call_command("workforce_level_run")
    out = capsys.readouterr().out
    assert "6 worker(s) due for a level step" in out
    assert f"{crew.p1.pk}\t1 -> " in out
    assert LevelProposal.objects.filter(status=LevelProposal.Status.PENDING).count() == 6
    assert AuditEvent.objects.filter(action="workforce.level_run").count() == 1


def test_the_beat_task_runs_the_same_step_and_is_safe_twice(crew):
    assert level_proposals_run_task() == 6
    assert level_proposals_run_task() == 0
    assert LevelProposal.objects.count() == 6
