"""Test data made through the real services, so tests see what production code makes."""

import factory

from directory.models import Area, Organisation
from directory.services import area_create, organisation_create
from residents.models import Household, ResidentProfile
from residents.services import household_create, resident_register
from security import personal_data
from security.models import User
from security.services import user_create

PASSWORD = "correct-horse-battery-staple"
# Staff users made by the `make_user` fixture come enrolled in TOTP with this secret (base32), so
# their pages open; tests of enrolment itself ask for make_user(..., mfa=False).
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = STAFF_TOTP_SECRET, *, step: int = 0) -> str:
    """The code an authenticator app with `secret` shows now (step=1: the next one)."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD + step))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return user_create(username=kwargs["username"], email=kwargs["email"], password=PASSWORD)


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    code = factory.Sequence(lambda n: f"A{n:05d}")
    kind = Area.Kind.DISTRICT
    name_zh = factory.LazyAttribute(lambda o: f"区域{o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Area {o.code}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return area_create(**kwargs)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"org-{n}")
    kind = Organisation.Kind.DEPARTMENT
    name_zh = factory.LazyAttribute(lambda o: f"单位{o.code}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return organisation_create(**kwargs)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    address = factory.Sequence(lambda n: f"人民路{n}号")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return household_create(actor=None, **kwargs)


def valid_id_card(sequence: int, *, birth: str = "19500101") -> str:
    body = f"511302{birth}{sequence % 1000:03d}"
    return body + personal_data.id_card_check_character(body)


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResidentProfile

    full_name = factory.Sequence(lambda n: f"居民{n}")
    id_card_number = factory.Sequence(lambda n: valid_id_card(n))
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    # Said outright: left out, the register would derive it from the ID number's 1950 birth year.
    is_elderly = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return resident_register(actor=None, **kwargs)


def authenticated_recently(client, user) -> None:
    """Record in `client`'s session that `user` has just given their password, as allauth does at
    sign-in and at re-authentication, so views that ask for a recent one (reveal, export) let them through."""
    from allauth.account.internal.flows.login import record_authentication
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = client.session
    record_authentication(request, user, method="password", username=user.get_username(), reauthenticated=True)
    request.session.save()
