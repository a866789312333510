"""The client address of the request being served, so services can record it in the audit log
without every view passing it down. Set by `security.middleware.RequestAddressMiddleware`."""

from contextvars import ContextVar

client_address: ContextVar[str | None] = ContextVar("client_address", default=None)
