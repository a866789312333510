"""A malformed notification setting stops start-up with one line naming it."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION_ENV = {
    "PATH": os.environ["PATH"],
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DEBUG": "false",
    "SECRET_KEY": "a-production-like-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "PERSONAL_DATA_KEY": "production-personal-data-key-0123456789abcdefghij",
    "ALLOWED_HOSTS": "portal.shunqing.gov.cn",
    # `check` loads the settings but opens no connection: a URL where no server listens.
    "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none",
}


def check(**changes):
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=PRODUCTION_ENV | changes,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"SMS_BACKEND": "console"}, "SMS_BACKEND"),
        ({"SMS_BACKEND": "notifications.channels.HttpSmsBackend"}, "SMS_GATEWAY_URL"),
        ({"SMS_BACKEND": "notifications.channels.FileSmsBackend"}, "SMS_FILE_PATH"),
        ({"SMS_GATEWAY_URL": "sms.example.cn/send"}, "SMS_GATEWAY_URL"),
        ({"SMS_GATEWAY_TIMEOUT": "ten"}, "SMS_GATEWAY_TIMEOUT"),
        ({"EMAIL_TIMEOUT": "0"}, "EMAIL_TIMEOUT"),
        ({"PORTAL_URL": "portal.shunqing.gov.cn"}, "PORTAL_URL"),
    ],
)
def test_a_bad_notification_setting_is_named_without_a_traceback(changes, named):
    result = check(**changes)
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_complete_gateway_configuration_starts():
    result = check(
        SMS_BACKEND="notifications.channels.HttpSmsBackend",
        SMS_GATEWAY_URL="https://sms.example.cn/send",
        SMS_GATEWAY_TOKEN="token",
        PORTAL_URL="https://portal.shunqing.gov.cn/",
    )
    assert result.returncode == 0, result.stderr
