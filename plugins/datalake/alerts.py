"""Telling people: a log line per failed task (on_task_failure), an email per failed DAG run
(FailureNotifier, an Airflow notifier) and an email when an arrival hour is late (send_alert,
from datalake.freshness).

Email goes through the smtp provider's SmtpNotifier and the Airflow connection it names. Off
unless recipients are configured: Airflow Variable ``datalake_alert_email`` or env
``DATALAKE_ALERT_EMAIL`` (comma-separated); the connection is ``datalake_alert_smtp_conn_id`` /
``DATALAKE_ALERT_SMTP_CONN_ID`` (default ``smtp_default``), the sender
``datalake_alert_from`` / ``DATALAKE_ALERT_FROM`` (default: the connection's from_email).

Imported while DAG files parse: only airflow.sdk here, the provider when a mail is sent.
"""

from __future__ import annotations

import html
import logging
import os
import sys

from airflow.sdk import BaseNotifier

log = logging.getLogger("datalake.alerts")

DEFAULT_SMTP_CONN_ID = "smtp_default"


def setting(variable: str, env: str, default: str | None = None) -> str | None:
    """Env first (local and tests), then the Airflow Variable, then the default."""
    value = os.environ.get(env)
    if value is None:
        try:
            from airflow.sdk import Variable

            value = Variable.get(variable, default=None)
        except Exception:  # no Airflow context (CLI, unit tests): the env or the default
            value = None
    return value if value not in (None, "") else default


def recipients() -> list[str]:
    value = setting("datalake_alert_email", "DATALAKE_ALERT_EMAIL") or ""
    return [address.strip() for address in value.split(",") if address.strip()]


def _window(context) -> str:
    params = context.get("params") or {}
    start = params.get("start") or context.get("data_interval_start")
    end = params.get("end") or context.get("data_interval_end")
    return f"[{start}, {end})" if start is not None else "none"


def failure_line(context) -> str:
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    map_index = getattr(ti, "map_index", -1)
    task = getattr(ti, "task_id", "?") + (f"[{map_index}]" if map_index not in (None, -1) else "")
    exception = context.get("exception")
    reason = (
        f"{type(exception).__name__}: {str(exception).splitlines()[0][:300]}"
        if exception
        else "unknown"
    )
    return (
        f"DATALAKE FAILURE dag={getattr(ti, 'dag_id', '?')} run={getattr(dag_run, 'run_id', '?')} "
        f"task={task} try={getattr(ti, 'try_number', '?')} window={_window(context)} "
        f"reason={reason} log={getattr(ti, 'log_url', '?')}"
    )


def on_task_failure(context) -> None:
    line = failure_line(context)
    log.error(line)
    print(line, file=sys.stderr, flush=True)


def send_alert(subject: str, fields: dict[str, object], context) -> bool:
    """One email with `fields` as a table, through SmtpNotifier; False when alerts are off."""
    to = recipients()
    if not to:
        log.info("alert not sent (no datalake_alert_email / DATALAKE_ALERT_EMAIL): %s", subject)
        return False
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in fields.items()
    )
    notifier = SmtpNotifier(
        to=to,
        from_email=setting("datalake_alert_from", "DATALAKE_ALERT_FROM"),
        smtp_conn_id=setting(
            "datalake_alert_smtp_conn_id", "DATALAKE_ALERT_SMTP_CONN_ID", DEFAULT_SMTP_CONN_ID
        ),
        subject=subject,
        html_content=f"<table>{rows}</table>",
    )
    # notify(), not __call__: our text is not a Jinja template (an exception message may hold
    # "{{"). Without "dag": a DAG callback may get the serialized DAG, which has no template env
    # (dag.test() does), and the only field left to render, from_email, does not need it.
    notifier.notify({key: value for key, value in dict(context).items() if key != "dag"})
    return True


def failure_fields(context) -> dict[str, object]:
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    map_index = getattr(ti, "map_index", -1)
    task = getattr(ti, "task_id", None)
    if task is not None and map_index not in (None, -1):
        task = f"{task}[{map_index}]"
    return {
        "DAG": getattr(dag, "dag_id", None) or getattr(ti, "dag_id", "?"),
        "Run": getattr(dag_run, "run_id", None) or context.get("run_id", "?"),
        "Failed task": task or "?",
        "Try": getattr(ti, "try_number", "?"),
        "Window": _window(context),
        "Reason": context.get("reason") or "task_failure",
        "Log": getattr(ti, "log_url", "?"),
    }


class FailureNotifier(BaseNotifier):
    """A DAG's on_failure_callback: one email per failed DAG run (a task's retries and the
    tasks skipped after it do not add mails), naming DAG, run, failed task, window and log."""

    template_fields = ()

    def render_template_fields(self, context, jinja_env=None) -> None:
        """Nothing to render (see send_alert); a DAG callback's context may hold the
        serialized DAG, which has no template env."""

    def notify(self, context) -> None:
        fields = failure_fields(context)
        send_alert(f"[datalake] {fields['DAG']} failed: run {fields['Run']}", fields, context)
