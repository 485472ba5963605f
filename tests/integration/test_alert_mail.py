"""people hear about trouble. A real SMTP server (aiosmtpd, in this process) receives
the mails that the DAGs' notifier (the smtp provider's SmtpNotifier) sends: exactly one for a
failed DAG run (dag.test()), and one when arrival hours are late by the manifest table of the
real warehouse."""

from __future__ import annotations

import email
import json
import socket
from datetime import datetime, timedelta, timezone

import pytest
from dagrun import run_hourly

from datalake.warehouse import connect

pytestmark = pytest.mark.integration

HOUR = datetime(2026, 11, 4, 9, tzinfo=timezone.utc)


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def body_text(message) -> str:
    return "".join(
        part.get_payload(decode=True).decode() for part in message.walk() if not part.is_multipart()
    )


@pytest.fixture
def inbox(monkeypatch):
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # a free port (the Controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv(
            "AIRFLOW_CONN_DATALAKE_SMTP_TEST",
            json.dumps(
                {
                    "conn_type": "smtp",
                    "host": "127.0.0.1",
                    "port": port,
                    "extra": {
                        "disable_tls": True,
                        "disable_ssl": True,
                        "retry_limit": 0,
                        "timeout": 10,
                    },
                }
            ),
        )
        monkeypatch.setenv("DATALAKE_ALERT_SMTP_CONN_ID", "datalake_smtp_test")
        monkeypatch.setenv("DATALAKE_ALERT_EMAIL", "oncall@example.com")
        monkeypatch.setenv("DATALAKE_ALERT_FROM", "airflow@example.com")
        yield handler
    finally:
        controller.stop()


def test_a_failed_run_sends_exactly_one_mail_naming_dag_run_task_window_and_log(
    inbox, platform, airflow_db
):
    # A window that is not whole hours is rejected by plan_batches (AirflowFailException): the
    # run fails, the tasks after it are upstream_failed, check_freshness skips (manual run).
    start, end = "2026-11-04T09:30:00+00:00", "2026-11-04T10:30:00+00:00"
    dagrun = run_hourly("entity_operations_hourly", HOUR, conf={"start": start, "end": end})
    assert dagrun.state == "failed"
    assert len(inbox.messages) == 1, [m["Subject"] for m in inbox.messages]
    (mail,) = inbox.messages
    text = body_text(mail)
    assert mail["To"] == "oncall@example.com" and mail["From"] == "airflow@example.com"
    assert "entity_operations_hourly" in mail["Subject"] and dagrun.run_id in mail["Subject"]
    for field in (
        "entity_operations_hourly",
        dagrun.run_id,
        "plan_batches",
        f"[{start}, {end})",
        "/dags/entity_operations_hourly/runs/",
        "/tasks/plan_batches",
    ):
        assert field in text, field


def test_no_mail_when_alerts_are_not_configured(platform, airflow_db, monkeypatch):
    from datalake.alerts import send_alert

    monkeypatch.delenv("DATALAKE_ALERT_EMAIL", raising=False)
    assert send_alert("subject", {"a": 1}, {}) is False  # off by default: nothing configured


def _loaded(conn, pipeline: str, hours: list[datetime]):
    for hour in hours:
        conn.execute(
            "INSERT INTO datalake_ops.run_manifest "
            "(pipeline, run_key, window_start, window_end, manifest) "
            "VALUES (%s, %s, %s, %s, '{}')",
            (pipeline, f"{hour:%Y%m%d%H}", hour, hour + timedelta(hours=1)),
        )


def test_freshness_finds_late_hours_in_the_manifest_table_and_mails_once(
    inbox, clean_platform, monkeypatch
):
    from datalake import freshness

    pipeline = "entity_operations_hourly"
    now = datetime(2026, 11, 4, 12, 50, tzinfo=timezone.utc)
    h = lambda hour: datetime(2026, 11, 4, hour, tzinfo=timezone.utc)  # noqa: E731
    with connect(clean_platform) as conn:
        # Nothing loaded ever: the whole lookback is late (a pipeline that never loads alerts).
        assert freshness.late_hours(conn, pipeline, now, 45, 3) == [h(9), h(10), h(11)]
        _loaded(conn, pipeline, [h(6), h(7), h(9), h(11)])
        _loaded(conn, "workflow_executions_hourly", [h(8), h(10)])  # another pipeline's hours
        conn.execute(
            "INSERT INTO datalake_ops.run_manifest "
            "(pipeline, run_key, window_start, window_end, manifest) "
            "VALUES (%s, 'replay-2026110405', %s, %s, '{}')",
            (pipeline, h(5), h(6)),
        )
        # 11:00-12:00 closed at 12:00: late only from 12:45; 12:00 is still open. Before the
        # first loaded hour (06) nothing is late.
        assert freshness.late_hours(conn, pipeline, now, 45, 24) == [h(8), h(10)]
        assert freshness.late_hours(
            conn, pipeline, datetime(2026, 11, 4, 12, 44, tzinfo=timezone.utc), 45, 24
        ) == [h(8), h(10)]
        assert freshness.late_hours(conn, pipeline, now, 45, 2) == [h(10)]  # lookback
        assert freshness.late_hours(conn, pipeline, now, 120, 24) == [
            h(8)
        ]  # 10:00-11:00 late at 13:00
        _loaded(conn, pipeline, [h(8), h(10)])
        assert freshness.late_hours(conn, pipeline, now, 45, 24) == []
        conn.rollback()

    with connect(clean_platform) as conn:
        _loaded(conn, pipeline, [h(9)])
        monkeypatch.setenv("DATALAKE_FRESHNESS_LOOKBACK_HOURS", "24")
        result = freshness.check_freshness(conn, pipeline, now, {})
        conn.rollback()
    assert result == {"late_hours": ["2026110410", "2026110411"], "alerted": True}
    (mail,) = inbox.messages
    assert (
        "entity_operations_hourly" in mail["Subject"]
        and "2 arrival hour(s) not loaded 45 min" in mail["Subject"]
    )
    assert "2026-11-04 10:00, 2026-11-04 11:00" in body_text(mail)
