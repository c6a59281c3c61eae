"""Each service's settings, read from the environment as `python -m partanum.run`
reads them: the documented defaults, and a bad value refused with the variable named
and what it expects, never with the value (it may be a password)."""

from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from partanum.config import SERVICES, nameko_config, timer_interval
from partanum.settings import SettingError
from services.booking.settings import Settings as BookingSettings
from services.gateway.settings import Settings as GatewaySettings
from services.notifications.settings import Settings as NotificationSettings


def test_without_any_variable_every_setting_has_its_documented_default():
    config = nameko_config(SERVICES, environ={})

    assert config["AMQP_URI"] == "amqp://guest:guest@localhost:5672/"
    assert config["DATABASE_URLS"]["inventory"] == "sqlite:///var/inventory.sqlite3"
    assert (
        config["max_workers"],
        config["RETRY_MAX_ATTEMPTS"],
        config["RETRY_BASE_DELAY"],
        config["RELAY_POLL_INTERVAL"],
        config["RELAY_ENABLED"],
    ) == (10, 5, 1.0, 2.0, True)
    booking = BookingSettings.from_config(config)
    assert booking.zone == ZoneInfo("Europe/Paris")
    assert (
        booking.buffer,
        booking.max_loans_per_resident,
        booking.no_show_grace,
        booking.hold_hours,
        booking.anonymise_after,
    ) == (timedelta(minutes=30), 2, timedelta(minutes=30), 48, timedelta(days=30))
    notifications = NotificationSettings.from_config(config)
    assert (notifications.quiet_from, notifications.quiet_until) == (time(21), time(8))
    assert (
        notifications.max_per_day,
        notifications.call_after_days,
        notifications.max_attempts,
        notifications.retry_base_delay,
    ) == (5, 7, 5, timedelta(seconds=60))
    assert (
        notifications.smtp_host,
        notifications.smtp_port,
        notifications.smtp_sender,
        notifications.sms_provider,
        notifications.sms_sender,
        notifications.sms_log,
    ) == ("localhost", 25, "partanum@localhost", "log", "Partanum", "var/sms.log")
    gateway = GatewaySettings.from_config(config)
    assert (config["WEB_SERVER_ADDRESS"], gateway.rpc_timeout, gateway.trusted_proxies) == (
        "0.0.0.0:8000",
        15.0,
        0,
    )
    assert (
        gateway.staff_token_hours,
        gateway.resident_token_days,
        gateway.sign_in_attempts,
        gateway.address_attempts,
        gateway.window,
        gateway.codes_per_window,
        gateway.code_minutes,
        gateway.code_attempts,
    ) == (12, 30, 5, 30, timedelta(minutes=15), 3, 10, 5)


def test_each_service_reads_the_variables_it_declares_with_their_types():
    config = nameko_config(
        SERVICES,
        environ={
            "PARTANUM_NO_SHOW_MINUTES": "45",
            "PARTANUM_MAX_LOANS_PER_RESIDENT": "3",
            "PARTANUM_QUIET_FROM": "22:30",
            "PARTANUM_SEND_RETRY_BASE_DELAY": "0.5",
            "PARTANUM_SMTP_STARTTLS": "1",
            "PARTANUM_HTTP_ADDRESS": "127.0.0.1:8080",
            "PARTANUM_SIGN_IN_WINDOW_MINUTES": "5",
            "PARTANUM_TIMEZONE": "Europe/Istanbul",
            "PARTANUM_DATA_DIR": "/srv/partanum",
        },
    )

    booking = BookingSettings.from_config(config)
    assert (booking.no_show_grace, booking.max_loans_per_resident) == (timedelta(minutes=45), 3)
    assert booking.zone == ZoneInfo("Europe/Istanbul")
    notifications = NotificationSettings.from_config(config)
    assert notifications.quiet_from == time(22, 30)
    assert notifications.retry_base_delay == timedelta(seconds=0.5)
    assert notifications.smtp_starttls is True
    assert notifications.sms_log == "/srv/partanum/sms.log"
    assert config["WEB_SERVER_ADDRESS"] == "127.0.0.1:8080"
    assert GatewaySettings.from_config(config).window == timedelta(minutes=5)
    assert config["DATABASE_URLS"]["booking"] == "sqlite:////srv/partanum/booking.sqlite3"


def test_an_empty_variable_counts_as_unset_as_compose_writes_an_optional_one():
    config = nameko_config(
        ["notifications"],
        environ={"PARTANUM_SMTP_PORT": "", "PARTANUM_SMS_URL": "", "PARTANUM_RELAY_ENABLED": ""},
    )

    assert (config["SMTP_PORT"], config["SMS_URL"], config["RELAY_ENABLED"]) == (25, "", True)


@pytest.mark.parametrize(
    "service, variable, value, expected",
    [
        ("booking", "PARTANUM_MAX_LOANS_PER_RESIDENT", "two", "valid integer"),
        ("booking", "PARTANUM_BOOKING_BUFFER_MINUTES", "-5", "greater than or equal to 0"),
        ("notifications", "PARTANUM_QUIET_FROM", "25:00", "valid time format"),
        ("notifications", "PARTANUM_SMS_PROVIDER", "fax", "'log' or 'http'"),
        ("notifications", "PARTANUM_SMTP_PORT", "70000", "less than or equal to 65535"),
        ("notifications", "PARTANUM_SEND_RETRY_BASE_DELAY", "soon", "a number of seconds"),
        ("notifications", "PARTANUM_SMS_URL", "sms.example/batches", "an http(s) URL"),
        ("gateway", "PARTANUM_HTTP_ADDRESS", "8000", "host:port"),
        ("gateway", "PARTANUM_RPC_TIMEOUT", "0", "greater than 0"),
        ("inventory", "PARTANUM_TIMEZONE", "Paris", "a time zone such as Europe/Paris"),
        ("inventory", "PARTANUM_RELAY_ENABLED", "perhaps", "valid boolean"),
        ("inventory", "AMQP_URI", "http://guest:guest@localhost:5672/", "a RabbitMQ URL"),
        ("inventory", "INVENTORY_DATABASE_URL", "mysql://localhost/inventory", "a database URL"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable_and_what_it_expects(
    service, variable, value, expected
):
    with pytest.raises(SettingError) as refused:
        nameko_config([service], environ={variable: value})

    assert str(refused.value).startswith(f"{variable}: ")
    assert expected in str(refused.value) and "\n" not in str(refused.value)


def test_the_refusal_never_shows_the_value_which_may_hold_a_password():
    with pytest.raises(SettingError) as refused:
        nameko_config(["audit"], environ={"AMQP_URI": "http://partanum:hunter2@rabbit/"})

    assert "hunter2" not in str(refused.value)


def test_the_http_sms_gateway_without_its_url_names_the_missing_variable():
    with pytest.raises(SettingError, match="PARTANUM_SMS_URL"):
        nameko_config(["notifications"], environ={"PARTANUM_SMS_PROVIDER": "http"})


def test_a_process_checks_only_the_settings_of_the_services_it_runs():
    config = nameko_config(
        ["booking"], environ={"PARTANUM_QUIET_FROM": "25:00", "PARTANUM_HOLD_HOURS": "24"}
    )

    assert config["HOLD_HOURS"] == 24
    assert "QUIET_FROM" not in config and "WEB_SERVER_ADDRESS" not in config
    assert list(config["DATABASE_URLS"]) == ["booking"]


def test_settings_given_in_the_nameko_config_are_checked_as_the_environment_is():
    with pytest.raises(SettingError, match="^PARTANUM_QUIET_UNTIL: "):
        NotificationSettings.from_config({"QUIET_UNTIL": "8 o'clock"})

    assert NotificationSettings.from_config({"QUIET_FROM": "00:00"}).quiet_from == time(0)


def test_the_generated_secret_key_lives_in_the_configured_data_directory(tmp_path):
    from partanum.config import secret_key

    config = nameko_config([], environ={"PARTANUM_DATA_DIR": str(tmp_path)})

    assert secret_key(config) == (tmp_path / "secret.key").read_bytes().strip()
    assert secret_key({**config, "SECRET_KEY": b"given"}) == b"given"
    assert Path(config["DATA_DIR"]) == tmp_path


def test_the_gateway_says_the_address_it_really_serves():
    def url(address):
        environment = {"PARTANUM_HTTP_ADDRESS": address}
        return GatewaySettings.from_environment(environment).url

    assert url("0.0.0.0:8000") == "http://localhost:8000"
    assert url("127.0.0.1:8042") == "http://127.0.0.1:8042"
    assert url("desk.roseraie.example:80") == "http://desk.roseraie.example:80"


def test_timers_keep_their_own_interval_unless_a_shorter_one_is_set():
    assert timer_interval(600, environ={}) == 600
    assert timer_interval(600, environ={"PARTANUM_TIMER_SECONDS": "0.5"}) == 0.5
    assert timer_interval(1.0, environ={"PARTANUM_TIMER_SECONDS": "60"}) == 1.0
    with pytest.raises(SettingError, match="PARTANUM_TIMER_SECONDS"):
        timer_interval(600, environ={"PARTANUM_TIMER_SECONDS": "-1"})
