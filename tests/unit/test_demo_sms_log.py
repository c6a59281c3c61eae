"""`make run` tells a newcomer where the demo residents' sign-in codes land: the
booking demo names the file the notifications' `log` provider really writes."""

import pytest

from services.booking import demo
from services.notifications.settings import Settings


@pytest.mark.parametrize(
    "environment",
    [{}, {"PARTANUM_DATA_DIR": "/srv/partanum"}, {"PARTANUM_SMS_LOG": "/tmp/codes.log"}],
)
def test_the_demo_names_the_sms_log_the_notifications_write(monkeypatch, environment):
    for name in ("PARTANUM_DATA_DIR", "PARTANUM_SMS_LOG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert demo.sms_log() == Settings.from_environment().sms_log
