"""The worker's mail jobs and the `iro-disputes mail` commands."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from api.cli import cli
from api.jobs import JobContext, JobRegistry, discover
from api.jobs.mail import send_outbox, weekly_digest
from notifications.settings import use_settings
from notifications.sink import captured, stop_sink
from tests.factories import new_challenge
from tests.notifications.conftest import free_port, outbox
from workflow.services import raise_challenge


def test_the_worker_discovers_the_mail_jobs(mail_settings):
    jobs = discover(JobRegistry()).jobs
    assert jobs["mail-send"].trigger == "interval" and jobs["mail-send"].run_at_start
    digest = jobs["mail-weekly-digest"]  # checked, not cron: it catches up after downtime
    assert digest.options == {"seconds": 900} and digest.run_at_start
    assert "mail-poll-imap" not in jobs  # no IMAP host configured


def test_imap_polling_is_scheduled_when_configured(mail_settings):
    use_settings(mail_settings.model_copy(update={"imap_host": "imap.council.test"}))
    assert discover(JobRegistry()).jobs["mail-poll-imap"].options == {"seconds": 60}


def test_the_send_job_starts_the_sink_when_the_settings_point_at_it(
    runtime, raised, mail_settings, now
):
    port = free_port()
    use_settings(mail_settings.model_copy(update={"smtp_port": port, "sink_port": port}))
    try:
        send_outbox(JobContext(runtime, now))
    finally:
        stop_sink()
    assert outbox(runtime)[0].status == "sent"
    assert [m.to for m in captured(mail_settings.sink_dir)] == ["sw@council.test"]


def test_the_digest_job_queues_the_digest(runtime, raised, mail_settings):
    weekly_digest(JobContext(runtime, datetime(2026, 12, 7, 8, 0, tzinfo=UTC)))
    assert [m.to_address for m in outbox(runtime, kind="digest")] == ["hos@council.test"]


def test_mail_commands(runtime, council, mail_settings, monkeypatch):
    at = datetime.now(UTC) - timedelta(minutes=5)  # the command runs on the real clock
    with runtime.uow() as uow:
        raise_challenge(uow, new_challenge(at), council.iro, at)
    # The test's runtime, not disposed by the command (the fixture owns it).
    monkeypatch.setattr("api.commands.mail.runtime", lambda: nullcontext(runtime))
    result = CliRunner().invoke(cli, ["mail", "send-pending"])
    assert result.exit_code == 0
    # Nothing listens on the port: the message waits, uncharged, for the next run.
    assert "0 sent, 0 to retry, 0 failed, 1 waiting for the mail server" in result.output
    result = CliRunner().invoke(cli, ["mail", "poll"])
    assert result.exit_code == 0 and "IMAP is not configured" in result.output


def test_the_sink_never_starts_by_itself_outside_development(mail_settings):
    from notifications.sink import ensure_sink_running

    port = free_port()
    production = mail_settings.model_copy(update={"env": "production", "smtp_port": port,
                                                  "sink_port": port})  # fmt: skip
    assert not production.sends_to_sink
    assert ensure_sink_running(production) is False
    assert mail_settings.model_copy(update={"smtp_port": port, "sink_port": port}).sends_to_sink
