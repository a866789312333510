import ipaddress

from django.conf import settings

from security.request_context import client_address


def _address_of(request) -> str | None:
    candidate = request.META.get("REMOTE_ADDR")
    if settings.AUDIT_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            # The nearest proxy (ours) appends the address it saw last.
            candidate = forwarded.split(",")[-1].strip()
    try:
        return ipaddress.ip_address(candidate).compressed if candidate else None
    except ValueError:
        return None


class RequestAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_address.set(_address_of(request))
        try:
            return self.get_response(request)
        finally:
            client_address.reset(token)
