"""Helpers for the delivery and reach tests: notices published through the real services, the
fan-out run in this process (the worker tests run it on a real worker), and many residents made fast."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from notifications.batch_delivery import SMS_BATCH_SIZE, outbox_deliver_sms_batch
from participation.models import NoticeCategory
from participation.notice_delivery import notice_fan_out_batch, notice_fan_out_start
from participation.notices import notice_create, notice_publish
from residents.models import Household, ResidentProfile
from security import personal_data
from security.models import User


def publish(*, actor, area, urgent=False, audience="everyone", title="停水通知", **extra):
    notice = notice_create(
        actor=actor,
        area=area,
        title=title,
        body="明天上午9点至下午5点停水，请提前储水。",
        category=NoticeCategory.WATER_POWER,
        audience=audience,
        is_urgent=urgent,
        **extra,
    )
    return notice_publish(actor=actor, notice=notice)


def run_fan_out(notice, *, resume=False, deliver_sms=True) -> list[int]:
    """The fan-out's tasks, in this process and in order; returns the SMS outbox ids written."""
    sms_ids: list[int] = []
    for first, last in notice_fan_out_start(notice_id=notice.pk, resume=resume):
        sms_ids += notice_fan_out_batch(notice_id=notice.pk, first_user_id=first, last_user_id=last)
    if deliver_sms:
        for start in range(0, len(sms_ids), SMS_BATCH_SIZE):
            outbox_deliver_sms_batch(message_ids=sms_ids[start : start + SMS_BATCH_SIZE])
    notice.refresh_from_db()
    return sms_ids


def bulk_residents(*, grid, count: int, prefix: str, phone_every: int = 1, elderly_alone_every: int = 0):
    """`count` verified residents (accounts linked to profiles) in households of `grid`, bulk-made:
    a phone for every `phone_every`-th, living-alone elderly for every `elderly_alone_every`-th."""
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{n}", email="", password=password) for n in range(count)], batch_size=2000
    )
    households = Household.objects.bulk_create(
        [Household(address=f"{prefix}路{n}号", grid=grid) for n in range(count)], batch_size=2000
    )
    phone_token = personal_data.encrypt("13912345678")
    profiles = []
    for n, (user, household) in enumerate(zip(users, households, strict=True)):
        has_phone = phone_every and n % phone_every == 0
        alone = bool(elderly_alone_every) and n % elderly_alone_every == 0
        profiles.append(
            ResidentProfile(
                user=user,
                household=household,
                full_name=f"{prefix}{n}",
                phone_encrypted=phone_token if has_phone else "",
                phone_masked="139****5678" if has_phone else "",
                is_elderly=alone,
                lives_alone=alone,
            )
        )
    ResidentProfile.objects.bulk_create(profiles, batch_size=2000)
    return users
