"""Delivering a published notice (通知公告) to the residents of its area, and their first reads.

Publishing only queues (`notice_fan_out_queue`). In the background, `notice_fan_out_start` claims
the notice once, counts its recipients and splits those not yet served into batches of user ids;
each batch (`notice_fan_out_batch`, one task, any worker) writes, in one transaction, the
recipients' read receipts, their inbox entries (with the in-app outbox rows already sent) and, for
an urgent notice, their SMS outbox rows, then hands the SMS to a batch-delivery task. Every write
skips rows that exist (unique keys), so a batch run twice or a fan-out resumed after a crash doubles
nothing; a fan-out that stopped half-way is resumed by the minutely beat task.

Keys follow notifications.services.notify: the event f"notice:{pk}:user:{user_pk}", each row
f"{key}:{channel}". Area alerts call `notify` with the same event key, so a follower who is also a
recipient is told once.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Greatest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.text import Truncator

from notifications.area_alerts import area_alert_record
from notifications.models import Channel, Notification, NotificationPreference, OutboxMessage, OutboxStatus
from participation.models import Notice, NoticeAudience, NoticeReceipt, NoticeStatus
from residents.models import ResidentProfile
from security import personal_data
from security.models import User

FAN_OUT_BATCH_SIZE = 2000
# A fan-out whose progress has not moved for this long lost its worker: the beat task resumes it.
FAN_OUT_STALLED_AFTER = timedelta(minutes=5)
NOTICE_KIND = "notice"
SMS_BODY_LENGTH = 200


def notice_event_key(*, notice_id: int, user_id: int) -> str:
    return f"notice:{notice_id}:user:{user_id}"


def notice_alert_key(notice: Notice) -> str:
    """The key of the notice's alert to the followers of its area (notifications.area_alerts)."""
    return f"notice:{notice.pk}"


def _notice_link(notice: Notice) -> str:
    try:
        return reverse("participation:notice_detail", kwargs={"public_id": notice.public_id})
    except NoReverseMatch:  # the residents' notice pages are not wired in this build
        return ""


# --- who receives a notice ------------------------------------------------------------------------
def notice_recipients(*, notice: Notice):
    """The resident profiles whose accounts receive `notice`: verified residents (a profile linked to an
    active account) of households in the notice's area subtree; for the "elderly households" audience
    only households with an elderly or living-alone member."""
    profiles = ResidentProfile.objects.filter(
        user__isnull=False,
        user__is_active=True,
        household__grid__path__startswith=notice.area.path,
    )
    if notice.audience == NoticeAudience.ELDERLY_HOUSEHOLDS:
        profiles = profiles.filter(
            Exists(
                ResidentProfile.objects.living()
                .filter(household_id=OuterRef("household_id"))
                .filter(Q(is_elderly=True) | Q(lives_alone=True))
            )
        )
    return profiles


# --- the interface H1's publishing calls --------------------------------------------------------------
def notice_fan_out_queue(*, notice: Notice) -> None:
    """Called in the transaction that publishes `notice`: once it commits, start the fan-out if the
    notice is due; a scheduled one is started by the minutely `notices_release_due_task`."""
    if notice.publish_at > timezone.now():
        return
    from participation.tasks import notice_fan_out_task

    # robust: if the broker is down at commit, publishing still succeeds; the beat task starts it.
    transaction.on_commit(partial(notice_fan_out_task.delay, notice.pk), robust=True)


def notice_receipt_read(*, notice: Notice, user: User) -> None:
    """Record `user`'s first read of `notice` and mark its inbox entry read. A reader who was not a
    recipient (no receipt) records nothing."""
    if not user.is_authenticated:
        return
    now = timezone.now()
    with transaction.atomic():
        NoticeReceipt.objects.filter(notice=notice, user=user, read_at__isnull=True).update(read_at=now)
        key = notice_event_key(notice_id=notice.pk, user_id=user.pk)
        Notification.objects.filter(recipient=user, outbox_key=f"{key}:{Channel.IN_APP}", read_at__isnull=True).update(
            read_at=now
        )


# --- the fan-out --------------------------------------------------------------------------------------
def _deliverable(notice: Notice) -> bool:
    now = timezone.now()
    return (
        notice.status == NoticeStatus.PUBLISHED
        and notice.hidden_at is None
        and notice.publish_at <= now
        and (notice.expires_at is None or notice.expires_at > now)
    )


def notice_fan_out_start(*, notice_id: int, resume: bool = False) -> list[tuple[int, int]]:
    """Claim the notice's fan-out (once; `resume` takes over one that stalled), count its recipients
    and return the batches still to write as inclusive (first, last) user-id ranges.

    The caller queues one batch task per range. No batch left: the fan-out is marked finished.
    """
    now = timezone.now()
    claim = Notice.objects.filter(pk=notice_id, status=NoticeStatus.PUBLISHED, publish_at__lte=now)
    if resume:
        claim = claim.filter(fan_out_started_at__isnull=False, fan_out_finished_at__isnull=True)
        claimed = claim.update(updated_at=now)
    else:
        claimed = claim.filter(fan_out_started_at__isnull=True).update(fan_out_started_at=now, updated_at=now)
    if claimed != 1:
        return []
    notice = Notice.objects.select_related("area").get(pk=notice_id)
    if not _deliverable(notice):
        Notice.objects.filter(pk=notice_id).update(fan_out_finished_at=now, updated_at=now)
        return []
    if notice.audience == NoticeAudience.EVERYONE:  # followers of its area (notifications.area_alerts)
        with transaction.atomic():  # once per notice (its key), their own fan-out after commit
            area_alert_record(
                area=notice.area,
                topic="notice",
                title=notice.title,
                body=Truncator(notice.body).chars(SMS_BODY_LENGTH),
                link=_notice_link(notice),
                key=notice_alert_key(notice),
            )
    recipients = notice_recipients(notice=notice)
    served = NoticeReceipt.objects.filter(notice_id=notice_id, user_id=OuterRef("user_id"))
    waiting = list(recipients.filter(~Exists(served)).order_by("user_id").values_list("user_id", flat=True))
    done = NoticeReceipt.objects.filter(notice_id=notice_id).count()
    Notice.objects.filter(pk=notice_id).update(recipients_total=done + len(waiting), recipients_done=done)
    if not waiting:
        Notice.objects.filter(pk=notice_id, fan_out_finished_at__isnull=True).update(fan_out_finished_at=now)
        return []
    return [
        (waiting[start], waiting[min(start + FAN_OUT_BATCH_SIZE, len(waiting)) - 1])
        for start in range(0, len(waiting), FAN_OUT_BATCH_SIZE)
    ]


def _sms_wanted(notice: Notice, rows: list[dict], preferences: dict[int, NotificationPreference]) -> set[int]:
    """The user ids among `rows` to text: urgent notices only, to those with a number who did not
    opt out."""
    if not notice.is_urgent:
        return set()
    wanted = set()
    for row in rows:
        preference = preferences.get(row["user_id"])
        if preference is not None and not preference.urgent_notice_sms:
            continue
        has_own = preference is not None and preference.sms and preference.sms_phone_encrypted
        if has_own or row["phone_encrypted"]:
            wanted.add(row["user_id"])
    return wanted


def notice_fan_out_batch(*, notice_id: int, first_user_id: int, last_user_id: int) -> list[int]:
    """Write the receipts, inbox entries and outbox rows of the recipients whose account ids lie in
    [first_user_id, last_user_id]; returns the ids of the SMS outbox rows still to send."""
    notice = Notice.objects.select_related("area").filter(pk=notice_id).first()
    if notice is None or not _deliverable(notice) or notice.fan_out_finished_at is not None:
        return []
    rows = list(
        notice_recipients(notice=notice)
        .filter(user_id__gte=first_user_id, user_id__lte=last_user_id)
        .order_by("user_id")
        .values("user_id", "household__grid_id", "phone_encrypted")
    )
    if not rows:
        _progress(notice_id)
        return []
    user_ids = [row["user_id"] for row in rows]
    preferences = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=user_ids)}
    texted = _sms_wanted(notice, rows, preferences)
    now = timezone.now()
    link = _notice_link(notice)
    with translation.override(settings.LANGUAGE_CODE):
        title = Truncator(" ".join(notice.title.split())).chars(200)
        body = Truncator(notice.body).chars(SMS_BODY_LENGTH)
    with transaction.atomic():
        _insert_batch_rows(
            notice_id=notice_id,
            user_ids=user_ids,
            grid_ids=[row["household__grid_id"] for row in rows],
            texted=sorted(texted),
            message={"kind": NOTICE_KIND, "title": title, "body": body, "link": link},
            now=now,
        )
    _progress(notice_id)
    if not texted:
        return []
    sms_keys = [f"{notice_event_key(notice_id=notice_id, user_id=user_id)}:{Channel.SMS}" for user_id in texted]
    # By key alone (the unique index), the status checked here: see LeasedOutbox.claim_many.
    written = OutboxMessage.objects.filter(key__in=sms_keys).order_by("pk").values_list("pk", "status")
    return [pk for pk, status in written if status == OutboxStatus.PENDING]


def _insert_batch_rows(
    *, notice_id: int, user_ids: list[int], grid_ids: list[int], texted: list[int], message: dict, now
) -> None:
    """Receipts, in-app outbox rows (already sent), inbox entries and SMS outbox rows (pending), each
    table in one INSERT that skips rows already there (a batch run twice writes nothing new)."""
    keys = {user_id: notice_event_key(notice_id=notice_id, user_id=user_id) for user_id in user_ids}
    in_app, sms = Channel.IN_APP.value, Channel.SMS.value
    NoticeReceipt.objects.bulk_create(
        [
            NoticeReceipt(notice_id=notice_id, user_id=user_id, grid_id=grid_id, delivered_at=now)
            for user_id, grid_id in zip(user_ids, grid_ids, strict=True)
        ],
        ignore_conflicts=True,
    )
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                key=f"{keys[user_id]}:{in_app}",
                recipient_id=user_id,
                channel=in_app,
                status=OutboxStatus.SENT,
                attempts=1,
                created_at=now,
                next_attempt_at=now,
                sent_at=now,
                **message,
            )
            for user_id in user_ids
        ]
        + [
            OutboxMessage(
                key=f"{keys[user_id]}:{sms}",
                recipient_id=user_id,
                channel=sms,
                status=OutboxStatus.PENDING,
                created_at=now,
                next_attempt_at=now,
                **message,
            )
            for user_id in texted
        ],
        ignore_conflicts=True,
    )
    Notification.objects.bulk_create(
        [
            Notification(recipient_id=user_id, outbox_key=f"{keys[user_id]}:{in_app}", created_at=now, **message)
            for user_id in user_ids
        ],
        ignore_conflicts=True,
    )


def _progress(notice_id: int) -> None:
    """Count the receipts into recipients_done (never backwards: batches finish in any order) and
    mark the fan-out finished once every recipient has one."""
    now = timezone.now()
    served = NoticeReceipt.objects.filter(notice_id=notice_id).values("notice_id").annotate(n=Count("id")).values("n")
    Notice.objects.filter(pk=notice_id).update(
        recipients_done=Greatest(F("recipients_done"), Subquery(served)), updated_at=now
    )
    Notice.objects.filter(
        pk=notice_id, fan_out_finished_at__isnull=True, recipients_done__gte=F("recipients_total")
    ).update(fan_out_finished_at=now)


def notices_release_due() -> list[tuple[int, bool]]:
    """The notices whose fan-out should start now (published, due, not started) or be resumed
    (started, unfinished, no progress for FAN_OUT_STALLED_AFTER), as (notice id, resume)."""
    now = timezone.now()
    live = Notice.objects.filter(status=NoticeStatus.PUBLISHED, publish_at__lte=now, hidden_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    due = list(live.filter(fan_out_started_at__isnull=True).order_by("pk").values_list("pk", flat=True)[:100])
    stalled = list(
        live.filter(
            fan_out_started_at__isnull=False,
            fan_out_finished_at__isnull=True,
            updated_at__lte=now - FAN_OUT_STALLED_AFTER,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:100]
    )
    return [(pk, False) for pk in due] + [(pk, True) for pk in stalled]


# --- the numbers an urgent notice's SMS go to ---------------------------------------------------------
def notice_sms_phones(messages: list[OutboxMessage]) -> dict[int, str]:
    """{message id: phone} for notice SMS rows: the number of the recipient's SMS preference when SMS
    is on, else the register phone of their resident profile; nobody who turned urgent-notice texts
    off. Read when sending (not copied into the outbox), so a later opt-out or change holds."""
    user_ids = {m.recipient_id for m in messages}
    preferences = {
        user_id: (urgent_notice_sms, sms and token)
        for user_id, urgent_notice_sms, sms, token in NotificationPreference.objects.filter(
            user_id__in=user_ids
        ).values_list("user_id", "urgent_notice_sms", "sms", "sms_phone_encrypted")
    }
    register = dict(
        ResidentProfile.objects.filter(user_id__in=user_ids)
        .exclude(phone_encrypted="")
        .values_list("user_id", "phone_encrypted")
    )
    phones: dict[int, str] = {}
    for message in messages:
        wanted, own_number = preferences.get(message.recipient_id, (True, ""))
        if not wanted:
            continue
        token = own_number or register.get(message.recipient_id)
        if not token:
            continue
        try:
            phones[message.pk] = personal_data.decrypt(token)
        except personal_data.PersonalDataError:
            continue
    return phones
