"""The portal's own 404 page in debug mode (`make run`), for everyone but signed-in admin staff.

With DEBUG on, Django answers a 404 with its technical page, which lists every URL pattern of the site:
`make run` is what newcomers and demo audiences try, as residents, so they would meet it. Turning DEBUG
off for `make run` would cost it its development secrets, plain-HTTP cookies and runserver's static
files; this middleware changes only the 404. Staff (`is_staff`: the developer signed in to the admin)
still get the technical page, which is what it is for. With DEBUG off it does nothing: Django's own
handler already renders templates/404.html.
"""

from django.conf import settings
from django.http import Http404
from django.urls import Resolver404, resolve
from django.views import defaults


def _portal_page_wanted(request) -> bool:
    user = getattr(request, "user", None)
    return settings.DEBUG and not (user is not None and user.is_authenticated and user.is_staff)


class DebugNotFoundPageMiddleware:
    """After AuthenticationMiddleware (it asks who is reading) and inside CommonMiddleware, whose
    APPEND_SLASH redirect reads the 404 this returns just as it reads Django's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _portal_page_wanted(request):
            # An address no pattern matches never reaches a view nor process_exception, so it is
            # resolved here first (a second resolution, in debug mode only).
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return defaults.page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and _portal_page_wanted(request):
            return defaults.page_not_found(request, exception)
        return None
