"""Poll pages: residents vote once from the page, staff run polls of their area; outsiders on every
page and action; query budgets on the list and the results; the exports."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from participation.models import Ballot, Poll, PollQuestion, PollResultsShown, PollVoter
from participation.polls import ballot_cast
from participation.tests.poll_helpers import answers_for, end_poll, make_poll, open_poll, verified_resident
from security.models import AuditEvent, Role

pytestmark = pytest.mark.django_db
LIST = "/polls/"
NEW = "/polls/new/"


def _url(poll, tail=""):
    return f"/polls/{poll.public_id}/{tail}"


@pytest.fixture
def staff(tree, make_user):
    return make_user(Role.COMMUNITY_STAFF, tree.c1)


@pytest.fixture
def poll(staff, tree):
    return make_poll(actor=staff, area=tree.c1)


def _ballot_form(poll, **choice) -> dict:
    data = {}
    for question_id, answer in answers_for(poll, **choice).items():
        data[f"q{question_id}"] = answer
    return data


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _zh(message: str) -> str:
    """`message` as a page shows it: pages speak Chinese by default (English until translated)."""
    with translation.override("zh-hans"):
        return gettext(message)


# --- outsiders ------------------------------------------------------------------------------------


def test_anonymous_goes_to_sign_in_everywhere(client, poll):
    for url in (LIST, NEW, _url(poll), _url(poll, "edit/"), _url(poll, "results.csv")):
        assert client.get(url)["Location"].startswith("/accounts/login/")
    assert client.post(_url(poll, "close/"))["Location"].startswith("/accounts/login/")
    assert client.post(_url(poll), {})["Location"].startswith("/accounts/login/")


def test_staff_outside_the_area_see_neither_the_draft_nor_its_actions(client, poll, tree, make_user, login):
    login(make_user(Role.COMMUNITY_STAFF, tree.c2))
    assert poll.public_id.hex not in client.get(LIST).content.decode().replace("-", "")
    for url in (_url(poll), _url(poll, "edit/"), _url(poll, "results.csv")):
        assert client.get(url).status_code == 404
    assert client.post(_url(poll, "close/")).status_code == 404
    response = client.post(
        _url(poll, "edit/"), {"action": "question", "kind": "text", "text": "外来问题", "options": ""}
    )
    assert response.status_code == 404
    assert poll.questions.count() == 3


def test_staff_outside_cannot_create_a_poll_for_another_area(client, tree, make_user, login):
    login(make_user(Role.COMMUNITY_STAFF, tree.c2))
    now = timezone.localtime()
    response = client.post(
        NEW,
        {
            "area": tree.c1.pk,
            "title": "越界",
            "opens_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "results_shown": "live",
        },
    )
    assert response.status_code == 400
    assert "area" in response.context["form"].errors
    assert not Poll.objects.exists()


def test_residents_cannot_reach_drafts_or_staff_pages(client, poll, tree, login):
    resident = verified_resident(tree.g1)
    login(resident)
    assert client.get(_url(poll)).status_code == 404  # a draft
    assert client.get(NEW).status_code == 403
    assert client.get(_url(poll, "edit/")).status_code == 403
    assert client.post(_url(poll, "close/")).status_code == 403
    open_poll(poll)
    assert client.get(_url(poll, "results.csv")).status_code == 403


def test_a_resident_of_another_community_cannot_see_or_vote(client, poll, tree, login):
    open_poll(poll)
    login(verified_resident(tree.g2))
    assert client.get(_url(poll)).status_code == 404
    assert client.post(_url(poll), _ballot_form(poll)).status_code == 404
    assert not Ballot.objects.exists()


def test_an_unverified_account_sees_no_polls_and_cannot_vote(client, poll, tree, make_user, login):
    open_poll(poll)
    login(make_user())
    page = client.get(LIST)
    assert page.status_code == 200 and page.context["rows"] == []
    assert client.post(_url(poll), _ballot_form(poll)).status_code == 404
    assert not Ballot.objects.exists()


# --- voting from the page -------------------------------------------------------------------------


def test_a_resident_votes_once_from_the_page_and_cannot_vote_again(client, poll, tree, login):
    open_poll(poll)
    resident = verified_resident(tree.g1b)
    login(resident)
    page = client.get(_url(poll))
    assert page.status_code == 200 and page.context["may_vote"]
    response = client.post(_url(poll), _ballot_form(poll, multiple=(0, 1), text="好"))
    assert response.status_code == 302
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert PollVoter.objects.filter(poll=poll, user=resident).exists()
    after = client.get(_url(poll))
    assert after.context["voted"] and not after.context["may_vote"]
    assert b'id="ballot"' not in after.content
    again = client.post(_url(poll), _ballot_form(poll))
    assert again.status_code == 400
    assert _messages(again) == [_zh("You have already voted in this poll. Each resident votes once.")]
    assert Ballot.objects.filter(poll=poll).count() == 1
    listed = client.get(LIST)
    assert listed.context["rows"][0]["voted"]


def test_bad_ballots_from_the_page_get_a_message_and_record_nothing(client, poll, tree, login):
    open_poll(poll)
    login(verified_resident(tree.g1))
    multiple = poll.questions.get(position=2)
    too_many = _ballot_form(poll) | {f"q{multiple.pk}": list(multiple.options.values_list("pk", flat=True))}
    for data in (too_many, _ballot_form(poll) | {f"q{multiple.pk}": ["abc"]}, {}):
        response = client.post(_url(poll), data)
        assert response.status_code == 400
        assert _messages(response)
    assert not Ballot.objects.exists() and not PollVoter.objects.exists()


def test_voting_before_opening_or_after_closing_from_the_page(client, poll, tree, staff, login):
    resident = verified_resident(tree.g1)
    end_poll(poll)
    login(resident)
    response = client.post(_url(poll), _ballot_form(poll))
    assert response.status_code == 400 and _messages(response) == [_zh("This poll has closed.")]
    assert not Ballot.objects.exists()


# --- staff pages ----------------------------------------------------------------------------------


def test_staff_create_add_questions_edit_and_close(client, tree, staff, login):
    login(staff)
    now = timezone.localtime()
    response = client.post(
        NEW,
        {
            "area": tree.g1.pk,
            "title": "垃圾分类时间",
            "description": "",
            "opens_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "results_shown": "after_closing",
        },
    )
    poll = Poll.objects.get()
    assert response["Location"] == _url(poll, "edit/")
    added = client.post(
        _url(poll, "edit/"),
        {
            "action": "question",
            "kind": "multiple",
            "text": "哪些时间方便？",
            "options": "早上\n中午\n晚上",
            "max_choices": "2",
        },
    )
    assert added.status_code == 302
    question = PollQuestion.objects.get(poll=poll)
    assert question.max_choices == 2 and question.options.count() == 3
    bad = client.post(
        _url(poll, "edit/"), {"action": "question", "kind": "single", "text": "只有一个", "options": "是"}
    )
    assert bad.status_code == 400 and "options" in bad.context["question_form"].errors
    client.post(_url(poll, "edit/"), {"action": "remove", "question": question.pk})
    assert not PollQuestion.objects.filter(poll=poll).exists()
    open_poll(poll)
    assert client.get(_url(poll, "edit/"))["Location"] == _url(poll)
    closed = client.post(_url(poll, "close/"))
    assert closed["Location"] == _url(poll)
    poll.refresh_from_db()
    assert poll.closed_early_by == staff
    assert AuditEvent.objects.filter(action="poll.close_early", actor=staff).exists()


def test_export_csv_and_xlsx_are_audited_and_formula_safe(client, poll, tree, staff, login):
    open_poll(poll)
    voter = verified_resident(tree.g1)
    ballot_cast(user=voter, poll=poll, answers=answers_for(poll, text="=1+1"))
    login(staff)
    hidden = client.get(_url(poll, "results.csv"))  # live, but fewer than 10 ballots
    assert hidden.status_code == 302
    assert not AuditEvent.objects.filter(action="poll.results_export").exists()
    end_poll(poll)
    response = client.get(_url(poll, "results.csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["3. 其他意见", "'=1+1"] in rows
    assert ["1. 是否同意方案？", "同意", "1"] in rows
    workbook = load_workbook(io.BytesIO(client.get(_url(poll, "results.xlsx")).content))
    values = [cell for row in workbook.active.iter_rows(values_only=True) for cell in row]
    assert "'=1+1" in values
    assert AuditEvent.objects.filter(action="poll.results_export").count() == 2
    assert client.get(_url(poll, "results.pdf")).status_code == 404


# --- query budgets --------------------------------------------------------------------------------


def test_the_list_costs_the_same_whatever_the_polls(client, tree, staff, login, django_assert_num_queries):
    login(staff)
    make_poll(actor=staff, area=tree.c1)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for n in range(5):
        open_poll(make_poll(actor=staff, area=tree.g1, title=f"投票{n}"))
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get(LIST).context["rows"]) == 6


def test_the_results_page_costs_the_same_whatever_the_ballots(client, tree, staff, login, django_assert_num_queries):
    poll = open_poll(make_poll(actor=staff, area=tree.c1, results_shown=PollResultsShown.LIVE))
    for _ in range(10):
        ballot_cast(user=verified_resident(tree.g1), poll=poll, answers=answers_for(poll, text="意见"))
    login(staff)
    client.get(_url(poll))
    with CaptureQueriesContext(connection) as few:
        assert client.get(_url(poll)).context["results"].shown
    for _ in range(5):
        ballot_cast(user=verified_resident(tree.g1b), poll=poll, answers=answers_for(poll, text="更多"))
    end_poll(poll)
    with django_assert_num_queries(len(few.captured_queries) + 1):  # + the free text, shown after closing
        page = client.get(_url(poll))
    assert page.context["results"].ballots == 15


def test_the_own_data_page_lists_the_poll_but_not_the_choice(client, poll, tree, login):
    open_poll(poll)
    voter = verified_resident(tree.g1)
    ballot_cast(user=voter, poll=poll, answers=answers_for(poll, single=1, text="只有我知道"))
    login(voter)
    page = client.get("/residents/me/data/")
    assert page.status_code == 200
    body = page.content.decode()
    assert poll.title in body
    assert "只有我知道" not in body
    download = client.get("/residents/me/data/download/").content.decode()
    assert poll.title in download and "只有我知道" not in download
