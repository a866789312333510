"""The one hook other apps get into a request's life.

`services` never imports the apps built on it (partners, dashboards). They connect a receiver to
`request_event_recorded`, which is sent inside the service's transaction each time a timeline
event is recorded, so a receiver that writes its own outbox rows commits or rolls back with the
change. Receivers must be quick and must not call back into `services`.
"""

from django.dispatch import Signal

# Sent with `request` (ServiceRequest) and `event` (RequestEvent).
request_event_recorded = Signal()
