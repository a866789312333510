"""A new resident registers, signs out, signs in with their user name, and resets a password,
through django-allauth's pages in the portal's layout and language."""

import re

import pytest
from django.core import mail

from security.models import AuditEvent, User

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-pass-phrase-2026"


def test_register_sign_in_and_land_on_the_resident_page(client):
    page = client.get("/accounts/signup/").content.decode()
    assert "顺庆智慧社区" in page  # the portal's layout, in Chinese
    response = client.post(
        "/accounts/signup/",
        {"username": "laowang", "email": "laowang@example.test", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    # A new account belongs to no household: sign-up ends where the person asks to be verified.
    assert response.redirect_chain[-1][0] == "/residents/me/verification/"
    assert "您的居住信息尚未核实" in client.get("/residents/me/").content.decode()

    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"login": "laowang", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/requests/mine/"


def test_sign_in_with_a_wrong_password_says_so(client):
    User.objects.create_user(username="laoli", password=PASSWORD)
    response = client.post("/accounts/login/", {"login": "laoli", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors


def test_password_reset_sends_a_mail_with_a_working_link(client):
    User.objects.create_user(username="laozhang", email="laozhang@example.test", password=PASSWORD)
    client.post("/accounts/password/reset/", {"email": "laozhang@example.test"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    new_password = "another-long-pass-phrase-2026"
    client.post(form_page.redirect_chain[-1][0], {"password1": new_password, "password2": new_password})
    assert client.login(username="laozhang", password=new_password)


def test_registration_records_nothing_personal_in_the_audit_log(client):
    client.post(
        "/accounts/signup/",
        {"username": "laozhao", "email": "laozhao@example.test", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert not AuditEvent.objects.filter(details__icontains="laozhao@example.test").exists()
