from notifications.selectors import unread_count


def unread_notifications(request):
    """The signed-in user's unread count for the inbox link in the page header (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user=user)}
