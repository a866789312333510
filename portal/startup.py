import gc
import sys

from django.core.exceptions import ImproperlyConfigured


def exit_on_configuration_error() -> None:
    """Load settings now and turn a configuration error into one readable line and exit code 2.

    Without this a bad environment variable surfaces as a long traceback from deep in Django.
    """
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - touching a setting forces the settings module to load
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"配置错误 / Configuration error: {exc}\n")
        sys.exit(2)


def freeze_loaded_app() -> None:
    """Move what start-up made (Django and our apps: some 170,000 objects living as long as the
    process) out of the garbage collector's generations. Otherwise a full collection walks all of
    it every few renders of a page that makes tens of thousands of objects — about 100 ms each time
    on the team workload page (make bench-workforce, bench/README.md)."""
    gc.collect()
    gc.freeze()
