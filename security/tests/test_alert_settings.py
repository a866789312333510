"""The alert settings: a bad value stops start-up with one line naming it."""

import pytest

from portal.tests.test_settings import manage


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"SECURITY_ALERT_WORKING_HOURS": "8-20"}, "SECURITY_ALERT_WORKING_HOURS"),
        ({"SECURITY_ALERT_WORKING_HOURS": "20:00-08:00"}, "SECURITY_ALERT_WORKING_HOURS"),
        ({"SECURITY_ALERT_WORKING_HOURS": "08:00-24:30"}, "SECURITY_ALERT_WORKING_HOURS"),
        ({"SECURITY_ALERT_WORKING_DAYS": "mon,tue"}, "SECURITY_ALERT_WORKING_DAYS"),
        ({"SECURITY_ALERT_REVEALS_PER_USER": "1"}, "SECURITY_ALERT_REVEALS_PER_USER"),
    ],
)
def test_a_bad_alert_setting_stops_start_up(changes, named):
    result = manage("check", **changes)
    assert result.returncode != 0
    assert named in result.stderr


def test_good_alert_settings_start():
    result = manage("check", SECURITY_ALERT_WORKING_HOURS="09:00-24:00", SECURITY_ALERT_WORKING_DAYS="1,2,3,4,5,6")
    assert result.returncode == 0, result.stderr
