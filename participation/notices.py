"""Writing notices (通知公告): drafting, publishing or submitting for approval, approving or
refusing, withdrawing.

Who may address an area:
- staff (security.roles.PARTICIPATION_ORGANISER_ROLES) address any area in their own subtree and their
  notices are published when they send them;
- a department officer or partner operator addresses a community, or a grid in one, inside the
  areas their organisation's routing rules cover (a water company announcing an outage where it
  supplies), and their notice waits for the community staff of that community
  (NOTICE_APPROVER_ROLES) to approve or refuse it with a reason.

Publication (at once or by approval) hands the notice to the fan-out in the same transaction
(participation.notice_delivery.notice_fan_out_queue), which starts on commit once `publish_at`
has come.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from directory.selectors import area_ancestor_paths
from notifications.area_alerts import area_alert_withdraw
from notifications.services import notify
from participation.models import Notice, NoticeAudience, NoticeCategory, NoticeStatus
from participation.notice_delivery import notice_alert_key, notice_fan_out_queue
from security.audit import audit_record
from security.models import RoleAssignment, User
from security.roles import NOTICE_APPROVER_ROLES, PARTICIPATION_ORGANISER_ROLES
from security.scoping import covers_area, organisation_ids
from services.photos import photos_clean
from services.selectors import areas_routed_to

TITLE_MAX = 120
BODY_MAX = 5000
REASON_MAX = 1000
ATTACHMENT_NAME_MAX = 200
# The kinds of area an organisation's notice may address: one community's staff approve it.
ORGANISATION_AREA_KINDS = (Area.Kind.COMMUNITY, Area.Kind.GRID)
EDITABLE_STATUSES = (NoticeStatus.DRAFT, NoticeStatus.REFUSED)

PDF_MAGIC = b"%PDF-"
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
_IMAGE_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


# --- who may address where ---------------------------------------------------------------------


def notice_route(*, actor: User, area: Area) -> Organisation | None:
    """How `actor` may address `area`: None when they publish there as staff (at once), or the
    organisation whose notice it is (waiting for approval). ValidationError when neither."""
    if area is None:
        raise ValidationError({"area": _("Choose the area the notice is for.")})
    if covers_area(actor, area, PARTICIPATION_ORGANISER_ROLES):
        return None
    if area.kind in ORGANISATION_AREA_KINDS:
        # Usually one organisation; the first whose routing covers the area is the notice's.
        for organisation_id in organisation_ids(actor):
            routed = areas_routed_to(organisation_ids=[organisation_id]).values_list("path", flat=True)
            if any(area.path.startswith(path) for path in routed):
                return Organisation.objects.get(pk=organisation_id)
    raise ValidationError({"area": _("You cannot publish notices to this area.")})


def can_manage(*, actor: User, notice: Notice) -> bool:
    """The author, the colleagues of the organisation a notice is for, and staff over its area
    (who approve, and who may take over a colleague's notice) edit, send and withdraw it."""
    if not actor.is_authenticated:
        return False
    if notice.author_id == actor.pk:
        return True
    if notice.organisation_id is not None and notice.organisation_id in organisation_ids(actor):
        return True
    return covers_area(actor, notice.area, PARTICIPATION_ORGANISER_ROLES)


def can_decide(*, actor: User, notice: Notice) -> bool:
    """Community staff over the notice's area approve or refuse an organisation's notice."""
    return covers_area(actor, notice.area, NOTICE_APPROVER_ROLES)


# --- checking input ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanAttachment:
    content: ContentFile
    name: str
    content_type: str
    size: int


def notice_attachment_clean(upload) -> CleanAttachment:
    """An image (JPEG, PNG, WebP: re-encoded, so EXIF goes) or a PDF (known by its first bytes,
    not its name), no larger than NOTICE_ATTACHMENT_MAX_BYTES; ValidationError otherwise."""
    limit = settings.NOTICE_ATTACHMENT_MAX_BYTES
    name = os.path.basename(getattr(upload, "name", "") or "")[-ATTACHMENT_NAME_MAX:] or "attachment"
    if upload.size > limit:
        raise ValidationError(
            {"attachment": _("The attachment is larger than %(limit)d MB.") % {"limit": limit // 1024 // 1024}}
        )
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    if head.startswith(PDF_MAGIC):
        content = ContentFile(upload.read())
        return CleanAttachment(content, name, "application/pdf", content.size)
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        try:
            (photo,) = photos_clean([upload])
        except ValidationError as exc:
            raise ValidationError({"attachment": exc.messages}) from None
        return CleanAttachment(photo.content, name, photo.content_type, photo.content.size)
    raise ValidationError({"attachment": _("Attach a photo (JPEG, PNG or WebP) or a PDF file only.")})


def _checked_fields(
    *, title: str, body: str, category: str, audience: str, publish_at: datetime | None, expires_at: datetime | None
) -> dict:
    errors: dict[str, str] = {}
    title = " ".join((title or "").split())
    body = (body or "").strip()
    if not title:
        errors["title"] = _("Give the notice a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Keep the title under %(count)d characters.") % {"count": TITLE_MAX}
    if not body:
        errors["body"] = _("Write the text of the notice.")
    elif len(body) > BODY_MAX:
        errors["body"] = _("Keep the text under %(count)d characters.") % {"count": BODY_MAX}
    if category not in NoticeCategory.values:
        errors["category"] = _("Choose a category from the list.")
    if audience not in NoticeAudience.values:
        errors["audience"] = _("Choose who the notice is for from the list.")
    publish_at = publish_at or timezone.now()
    if expires_at is not None and expires_at <= publish_at:
        errors["expires_at"] = _("The notice must expire after it is published.")
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "body": body,
        "category": category,
        "audience": audience,
        "publish_at": publish_at,
        "expires_at": expires_at,
    }


def _attach(notice: Notice, attachment: CleanAttachment) -> None:
    extension = ".pdf" if attachment.content_type == "application/pdf" else _IMAGE_EXTENSIONS[attachment.content_type]
    # Stored under a random name: the uploader's file name is only shown, never used as a path.
    notice.attachment.save(f"{uuid.uuid4().hex}{extension}", attachment.content, save=False)
    notice.attachment_name = attachment.name
    notice.attachment_content_type = attachment.content_type
    notice.attachment_size = attachment.size


def _detach(notice: Notice) -> None:
    notice.attachment = ""
    notice.attachment_name = ""
    notice.attachment_content_type = ""
    notice.attachment_size = 0


def _locked(notice: Notice) -> Notice:
    return Notice.objects.select_for_update(of=("self",)).select_related("area").get(pk=notice.pk)


def _manage_link(notice: Notice) -> str:
    return reverse("participation:notice_manage", kwargs={"public_id": notice.public_id})


def _tell_approvers(notice: Notice) -> None:
    """The community staff over the notice's area: a notice waits in their approval queue."""
    user_ids = RoleAssignment.objects.filter(
        role__in=NOTICE_APPROVER_ROLES, area__path__in=area_ancestor_paths(area=notice.area)
    ).values("user_id")
    with translation.override(settings.LANGUAGE_CODE):
        title = _("A notice is waiting for your approval: %(title)s") % {"title": notice.title}
        body = _("From %(organisation)s, for %(area)s.") % {
            "organisation": notice.organisation.name,
            "area": notice.area.name,
        }
    link = reverse("participation:notice_approval", kwargs={"public_id": notice.public_id})
    submitted = timezone.now().strftime("%Y%m%d%H%M%S%f")
    for approver in User.objects.filter(pk__in=user_ids, is_active=True).order_by("pk"):
        notify(
            recipient=approver,
            kind="notice.awaiting_approval",
            title=title,
            body=body,
            link=link,
            key=f"notice:{notice.pk}:submitted:{submitted}:approver:{approver.pk}",
        )


def _tell_author(notice: Notice, *, approved: bool) -> None:
    if not notice.author.is_active:
        return
    with translation.override(settings.LANGUAGE_CODE):
        if approved:
            title = _("Your notice is approved and published: %(title)s") % {"title": notice.title}
            body = ""
        else:
            title = _("Your notice was not approved: %(title)s") % {"title": notice.title}
            body = _("Reason: %(reason)s") % {"reason": notice.refusal_reason}
    notify(
        recipient=notice.author,
        kind="notice.decided",
        title=title,
        body=body,
        link=_manage_link(notice),
        key=f"notice:{notice.pk}:decided:{notice.decided_at:%Y%m%d%H%M%S%f}",
    )


# --- writes ------------------------------------------------------------------------------------


@transaction.atomic
def notice_create(
    *,
    actor: User,
    area: Area,
    title: str,
    body: str,
    category: str,
    audience: str = NoticeAudience.EVERYONE,
    is_urgent: bool = False,
    publish_at: datetime | None = None,
    expires_at: datetime | None = None,
    attachment=None,
) -> Notice:
    """A draft notice to `area`, by `actor` (who must be able to address it)."""
    organisation = notice_route(actor=actor, area=area)
    fields = _checked_fields(
        title=title, body=body, category=category, audience=audience, publish_at=publish_at, expires_at=expires_at
    )
    cleaned = notice_attachment_clean(attachment) if attachment else None
    notice = Notice(area=area, author=actor, organisation=organisation, is_urgent=bool(is_urgent), **fields)
    if cleaned is not None:
        _attach(notice, cleaned)
    notice.save()
    audit_record(
        actor=actor,
        action="notice.create",
        target=notice,
        area=area,
        details={"notice": str(notice.public_id), "organisation": organisation.code if organisation else ""},
    )
    return notice


@transaction.atomic
def notice_update(
    *,
    actor: User,
    notice: Notice,
    area: Area,
    title: str,
    body: str,
    category: str,
    audience: str,
    is_urgent: bool,
    publish_at: datetime | None,
    expires_at: datetime | None,
    attachment=None,
    remove_attachment: bool = False,
) -> Notice:
    """Change a draft (or a refused notice, which becomes a draft again to be sent anew)."""
    notice = _locked(notice)
    if not can_manage(actor=actor, notice=notice):
        raise PermissionDenied(_("You cannot change this notice."))
    if notice.status not in EDITABLE_STATUSES:
        raise ValidationError(_("Only a draft can be changed; withdraw a published notice instead."))
    organisation = notice_route(actor=actor, area=area)
    fields = _checked_fields(
        title=title, body=body, category=category, audience=audience, publish_at=publish_at, expires_at=expires_at
    )
    cleaned = notice_attachment_clean(attachment) if attachment else None
    for name, value in fields.items():
        setattr(notice, name, value)
    notice.area = area
    notice.organisation = organisation
    notice.is_urgent = bool(is_urgent)
    if notice.status == NoticeStatus.REFUSED:
        notice.status = NoticeStatus.DRAFT
    changed = [*fields, "area", "organisation", "is_urgent", "status", "updated_at"]
    if cleaned is not None or remove_attachment:
        _detach(notice)
        if cleaned is not None:
            _attach(notice, cleaned)
        changed += ["attachment", "attachment_name", "attachment_content_type", "attachment_size"]
    notice.save(update_fields=changed)
    audit_record(
        actor=actor,
        action="notice.update",
        target=notice,
        area=area,
        details={"notice": str(notice.public_id)},
    )
    return notice


def _check_still_current(notice: Notice, now: datetime) -> None:
    if notice.expires_at is not None and notice.expires_at <= now:
        raise ValidationError({"expires_at": _("This notice has already expired; change its expiry first.")})


def _release(notice: Notice, now: datetime, also: tuple[str, ...] = ()) -> None:
    """Mark the notice published and hand it to the fan-out. A publication time already past
    becomes now, so the notice is dated when residents first see it."""
    notice.status = NoticeStatus.PUBLISHED
    changed = ["status", "updated_at", *also]
    if notice.publish_at < now:
        notice.publish_at = now
        changed.append("publish_at")
    notice.save(update_fields=changed)
    notice_fan_out_queue(notice=notice)


@transaction.atomic
def notice_publish(*, actor: User, notice: Notice) -> Notice:
    """Staff publish their area's notice (a draft) at once, or at its scheduled time."""
    notice = _locked(notice)
    if not can_manage(actor=actor, notice=notice):
        raise PermissionDenied(_("You cannot publish this notice."))
    if notice.status not in EDITABLE_STATUSES:
        raise ValidationError(_("This notice has already been sent."))
    if notice_route(actor=actor, area=notice.area) is not None or notice.organisation_id is not None:
        raise ValidationError(_("This notice needs the approval of the community's staff: submit it instead."))
    now = timezone.now()
    _check_still_current(notice, now)
    _release(notice, now)
    audit_record(
        actor=actor,
        action="notice.publish",
        target=notice,
        area=notice.area,
        details={"notice": str(notice.public_id), "publish_at": notice.publish_at.isoformat()},
    )
    return notice


@transaction.atomic
def notice_submit(*, actor: User, notice: Notice) -> Notice:
    """A department's or partner's draft goes to the community staff for approval."""
    notice = _locked(notice)
    if not can_manage(actor=actor, notice=notice):
        raise PermissionDenied(_("You cannot submit this notice."))
    if notice.status not in EDITABLE_STATUSES:
        raise ValidationError(_("This notice has already been sent."))
    organisation = notice_route(actor=actor, area=notice.area)
    if organisation is None:
        raise ValidationError(_("Notices to your own area need no approval: publish it instead."))
    _check_still_current(notice, timezone.now())
    notice.status = NoticeStatus.AWAITING_APPROVAL
    notice.organisation = organisation
    notice.refusal_reason = ""
    notice.decided_by = None
    notice.decided_at = None
    notice.save(update_fields=["status", "organisation", "refusal_reason", "decided_by", "decided_at", "updated_at"])
    _tell_approvers(notice)
    audit_record(
        actor=actor,
        action="notice.submit",
        target=notice,
        area=notice.area,
        details={"notice": str(notice.public_id), "organisation": organisation.code},
    )
    return notice


def notice_send(*, actor: User, notice: Notice) -> Notice:
    """Publish a staff notice, or submit an organisation's for approval: whichever applies."""
    if notice.organisation_id is None and covers_area(actor, notice.area, PARTICIPATION_ORGANISER_ROLES):
        return notice_publish(actor=actor, notice=notice)
    return notice_submit(actor=actor, notice=notice)


def _for_decision(actor: User, notice: Notice) -> Notice:
    notice = _locked(notice)
    if not can_decide(actor=actor, notice=notice):
        raise PermissionDenied(_("Only the staff of the notice's community decide on it."))
    if notice.status != NoticeStatus.AWAITING_APPROVAL:
        raise ValidationError(_("This notice is not waiting for approval."))
    return notice


@transaction.atomic
def notice_approve(*, actor: User, notice: Notice) -> Notice:
    """Community staff approve an organisation's notice: it is published (at its time)."""
    notice = _for_decision(actor, notice)
    now = timezone.now()
    _check_still_current(notice, now)
    notice.decided_by = actor
    notice.decided_at = now
    _release(notice, now, also=("decided_by", "decided_at"))
    _tell_author(notice, approved=True)
    audit_record(
        actor=actor,
        action="notice.approve",
        target=notice,
        area=notice.area,
        details={"notice": str(notice.public_id), "publish_at": notice.publish_at.isoformat()},
    )
    return notice


@transaction.atomic
def notice_refuse(*, actor: User, notice: Notice, reason: str) -> Notice:
    """Community staff refuse an organisation's notice; the author sees the reason."""
    notice = _for_decision(actor, notice)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Tell the publisher why the notice is refused.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("Keep it under 1,000 characters.")})
    notice.status = NoticeStatus.REFUSED
    notice.refusal_reason = reason
    notice.decided_by = actor
    notice.decided_at = timezone.now()
    notice.save(update_fields=["status", "refusal_reason", "decided_by", "decided_at", "updated_at"])
    _tell_author(notice, approved=False)
    audit_record(
        actor=actor,
        action="notice.refuse",
        target=notice,
        area=notice.area,
        details={"notice": str(notice.public_id), "reason": reason},
    )
    return notice


@transaction.atomic
def notice_withdraw(*, actor: User, notice: Notice, reason: str) -> Notice:
    """Take a published (or scheduled) notice off every resident's page, with the reason audited.
    The publisher and the community staff over its area may."""
    notice = _locked(notice)
    if not (can_manage(actor=actor, notice=notice) or can_decide(actor=actor, notice=notice)):
        raise PermissionDenied(_("You cannot withdraw this notice."))
    if notice.status != NoticeStatus.PUBLISHED:
        raise ValidationError(_("Only a published notice can be withdrawn."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the notice is withdrawn.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("Keep it under 1,000 characters.")})
    notice.status = NoticeStatus.WITHDRAWN
    notice.save(update_fields=["status", "updated_at"])
    # Digests not yet sent leave it out: it is no longer on any resident's page.
    area_alert_withdraw(key=notice_alert_key(notice))
    audit_record(
        actor=actor,
        action="notice.withdraw",
        target=notice,
        area=notice.area,
        details={"notice": str(notice.public_id), "reason": reason},
    )
    return notice
