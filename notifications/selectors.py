from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from notifications.models import Channel, Notification, NotificationPreference
from security.models import User
from security.scoping import restrict


def inbox_for_user(*, user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first; nobody else's, whatever their role."""
    return restrict(Notification.objects.all(), user, owner="recipient")


def unread_count(*, user: User) -> int:
    return inbox_for_user(user=user).filter(read_at__isnull=True).count()


def notification_get_for_user(*, user: User, public_id) -> Notification:
    """One of the user's notifications; the same 404 whether it is missing or someone else's."""
    try:
        return inbox_for_user(user=user).get(public_id=public_id)
    except (Notification.DoesNotExist, ValidationError):
        raise Http404 from None


def notification_preference_for_user(*, user: User) -> NotificationPreference:
    """The user's stored preference, or an unsaved one holding the defaults."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)


def delivery_channels_for_user(*, user: User) -> list[str]:
    """The channels on which `user` receives notifications now. The inbox is always one; e-mail
    unless turned off (and only to an address); SMS only when turned on with a number. A
    deactivated account keeps its inbox but gets no e-mail or SMS."""
    channels = [Channel.IN_APP.value]
    if not user.is_active:
        return channels
    preference = notification_preference_for_user(user=user)
    if preference.email and user.email:
        channels.append(Channel.EMAIL.value)
    if preference.sms and preference.sms_phone_encrypted:
        channels.append(Channel.SMS.value)
    return channels
