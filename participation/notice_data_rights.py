"""A person's notice receipts and the records that their grid worker told them of an urgent notice,
in their data export, and what account deletion does to them (registered with residents.data_rights
from ParticipationConfig.ready())."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from participation.models import NoticeInformed, NoticeReceipt
from residents.data_rights import register_section
from security.models import User


def export_notice_receipts(user: User) -> dict:
    receipts = NoticeReceipt.objects.filter(user=user).select_related("notice", "notice__area").order_by("pk")
    informed = (
        NoticeInformed.objects.filter(resident__user=user).select_related("notice", "notice__area").order_by("pk")
    )
    return {
        "received": [
            {
                "notice": receipt.notice.title,
                "area": receipt.notice.area.name,
                "delivered_at": receipt.delivered_at,
                "read_at": receipt.read_at,
            }
            for receipt in receipts
        ],
        "told": [{"notice": row.notice.title, "how": row.get_how_display(), "at": row.informed_at} for row in informed],
    }


def erase_notice_receipts(user: User) -> dict:
    return {"receipts": NoticeReceipt.objects.filter(user=user).delete()[0]}


def register_data_rights() -> None:
    register_section(
        "notice_receipts",
        title=_("Notices delivered to me"),
        export=export_notice_receipts,
        erase=erase_notice_receipts,
        labels={
            "received": _("Notices delivered to me"),
            "notice": _("Notice"),
            "area": _("For residents of"),
            "delivered_at": _("Delivered"),
            "read_at": _("First read"),
            "told": _("Told of an urgent notice by my grid worker"),
            "how": _("How"),
            "at": _("When"),
        },
        kept_after_deletion=_(
            "Your notice receipts (which notices reached you and when you read them) are deleted. A record that "
            "your grid worker told you of an urgent notice in person or by phone stays with your entry in the "
            "resident register, which deleting your account does not remove."
        ),
    )
