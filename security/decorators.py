from collections.abc import Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from security.scoping import has_role


def role_required(roles: Iterable[str]):
    """The view is for signed-in users holding one of `roles`; others get 403 (anonymous: login)."""
    wanted = frozenset(roles)

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, wanted):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
