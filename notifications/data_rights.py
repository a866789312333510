"""A person's inbox, preferences and deliveries in their data export, the deletion of their
account, and the consents to be told by e-mail and SMS (registered with residents.data_rights
from NotificationsConfig.ready())."""

from __future__ import annotations

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from notifications.area_alerts import area_alert_setting_for_user
from notifications.models import (
    AreaAlertSetting,
    AreaDigestItem,
    AreaSubscription,
    Notification,
    NotificationPreference,
    OutboxMessage,
    OutboxStatus,
)
from notifications.selectors import notification_preference_for_user
from notifications.services import notification_preference_update
from residents.data_rights import register_consent, register_section
from security import personal_data
from security.models import User


def export_notifications(user: User) -> dict:
    preference = notification_preference_for_user(user=user)
    return {
        "inbox": [
            {"at": note.created_at, "title": note.title, "message": note.body, "read_at": note.read_at}
            for note in Notification.objects.filter(recipient=user).order_by("created_at", "id")
        ],
        "preferences": {
            "email": preference.email,
            "sms": preference.sms,
            "sms_phone": personal_data.decrypt(preference.sms_phone_encrypted)
            if preference.sms_phone_encrypted
            else "",
            "urgent_notice_sms": preference.urgent_notice_sms,
        },
        "deliveries": [
            {"at": message.created_at, "channel": message.get_channel_display(), "title": message.title}
            for message in OutboxMessage.objects.filter(recipient=user, status=OutboxStatus.SENT).order_by(
                "created_at", "id"
            )
        ],
    }


def erase_notifications(user: User) -> dict:
    # A message a worker is sending this moment is left to finish (its e-mail or SMS is already
    # on its way, and deleting its row under the worker would fail the delivery); it cannot reach
    # the account afterwards: the address is erased and the account inactive.
    return {
        "inbox": Notification.objects.filter(recipient=user).delete()[0],
        "preferences": NotificationPreference.objects.filter(user=user).delete()[0],
        "outbox": OutboxMessage.objects.filter(recipient=user).exclude(status=OutboxStatus.SENDING).delete()[0],
    }


def export_area_alerts(user: User) -> dict:
    setting = area_alert_setting_for_user(user=user)
    return {
        "mode": setting.get_mode_display(),
        "follows_own_grid": setting.follows_own_grid,
        "service_codes": list(setting.service_codes),
        "areas": [
            {"area": subscription.area.name, "since": subscription.created_at}
            for subscription in AreaSubscription.objects.filter(user=user).select_related("area").order_by("id")
        ],
        "waiting": [
            {"at": item.created_at, "title": item.alert.title}
            for item in AreaDigestItem.objects.filter(user=user).select_related("alert").order_by("created_at", "id")
        ],
    }


def erase_area_alerts(user: User) -> dict:
    return {
        "areas": AreaSubscription.objects.filter(user=user).delete()[0],
        "settings": AreaAlertSetting.objects.filter(user=user).delete()[0],
        "waiting": AreaDigestItem.objects.filter(user=user).delete()[0],
    }


def _sms_state(user: User):
    preference = notification_preference_for_user(user=user)
    return preference.sms, preference.updated_at


def _sms_withdraw(user: User) -> None:
    preference = notification_preference_for_user(user=user)
    notification_preference_update(user=user, email=preference.email, sms=False)


def _email_state(user: User):
    if not user.email:
        return None
    preference = notification_preference_for_user(user=user)
    return preference.email, preference.updated_at


def _email_withdraw(user: User) -> None:
    preference = notification_preference_for_user(user=user)
    notification_preference_update(user=user, email=False, sms=preference.sms)


def _email_give(user: User) -> None:
    preference = notification_preference_for_user(user=user)
    notification_preference_update(user=user, email=True, sms=preference.sms)


def register() -> None:
    register_section(
        "notifications",
        title=_("Messages"),
        export=export_notifications,
        erase=erase_notifications,
        labels={
            "inbox": _("Messages received"),
            "at": _("When"),
            "title": _("Title"),
            "message": _("Message"),
            "read_at": _("Read"),
            "preferences": _("How I am told"),
            "email": _("E-mail"),
            "sms": _("SMS"),
            "sms_phone": _("SMS number"),
            "urgent_notice_sms": _("Urgent notices by text message"),
            "deliveries": _("Sent by e-mail or SMS"),
            "channel": _("Channel"),
        },
        kept_after_deletion=_("Nothing: your messages, settings and SMS number are deleted."),
    )
    register_section(
        "area_alerts",
        title=_("Areas I follow"),
        export=export_area_alerts,
        erase=erase_area_alerts,
        labels={
            "mode": _("How often"),
            "follows_own_grid": _("My own grid followed"),
            "service_codes": _("Service categories"),
            "areas": _("Followed areas"),
            "area": _("Area"),
            "since": _("Since"),
            "waiting": _("Waiting for the next daily message"),
            "at": _("When"),
            "title": _("Title"),
        },
        kept_after_deletion=_("Nothing: the areas you follow and your alert settings are deleted."),
    )
    register_consent(
        "sms_notifications",
        title=_("Text messages (SMS)"),
        description=_("News about your requests is also sent by SMS to the number you gave."),
        withdrawing_changes=_(
            "No more SMS; the number you gave for it is deleted. Messages still reach your inbox on the portal."
        ),
        given=_sms_state,
        withdraw=_sms_withdraw,
        give_url=reverse_lazy("notifications:preferences"),
    )
    register_consent(
        "email_notifications",
        title=_("E-mail"),
        description=_("News about your requests is also sent to your e-mail address."),
        withdrawing_changes=_("No more e-mail from the portal, except password resets you ask for yourself."),
        given=_email_state,
        withdraw=_email_withdraw,
        give=_email_give,
    )
