"""`iro-disputes mail ...`: the development sink, sending, polling, receiving, the digest."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from api.commands._common import refuse_broken_start, reported_errors, runtime
from api.commands._signals import StopSignal
from api.logs import configure_from_settings
from notifications.digest import queue_weekly_digests
from notifications.imap_poller import ImapError, poll
from notifications.sender import send_pending
from notifications.settings import get_mail_settings
from notifications.sink import Sink, SinkPortTaken, captured
from notifications.smtp_receiver import Receiver

app = typer.Typer(help="Email: the development sink, the outbox, replies by email.",
                  no_args_is_help=True)  # fmt: skip


def _wait_for_signal() -> None:
    StopSignal().install().wait()


@app.command()
def sink() -> None:
    """Run the development SMTP sink (keeps every message under DATA_DIR/mail)."""
    settings = get_mail_settings()
    server = Sink(settings)
    try:
        server.start()
    except SinkPortTaken as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=1) from error
    typer.echo(f"Mail sink on {settings.sink_host}:{settings.sink_port}, "
               f"storing in {settings.sink_dir} (Ctrl-C to stop)")  # fmt: skip
    try:
        _wait_for_signal()
    finally:
        server.stop()


@app.command("list")
def list_captured(limit: int = typer.Option(20, help="How many, newest first")) -> None:
    """List the messages the sink captured, with their links."""
    for message in captured(limit=limit):
        typer.echo(f"{message.date:%Y-%m-%d %H:%M}  {message.to}  {message.subject}"
                   if message.date else f"{message.to}  {message.subject}")  # fmt: skip
        for link in message.links:
            typer.echo(f"    {link}")


@app.command("send-pending")
def send() -> None:
    """Send every outbox message that is due, once."""
    with runtime() as rt:
        report = send_pending(rt.engine, now=datetime.now(UTC))
    typer.echo(
        f"{report.sent} sent, {report.retrying} to retry, {report.failed} failed, "
        f"{report.deferred} waiting for the mail server, {report.cancelled} stale cancelled"
    )
    for error in report.errors[:5]:
        typer.echo(f"  {error}", err=True)
    for error in report.errors:
        typer.echo(f"  {error}", err=True)


@app.command("poll")
def poll_once() -> None:
    """Fetch unseen replies from the IMAP mailbox once."""
    try:
        with runtime() as rt:
            report = poll(rt, datetime.now(UTC))
    except ImapError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from error
    if not get_mail_settings().imap_host:
        typer.echo("IMAP is not configured (IRO_DISPUTES_IMAP_HOST)")
    for result in report.results:
        typer.echo(f"#{result.inbound_id} {result.status.value}: {result.reason}")


@app.command()
def receive() -> None:
    """Run the SMTP receiver for replies a council forwards to the service."""
    configure_from_settings("mail-receiver")
    refuse_broken_start()
    settings = get_mail_settings()
    with runtime() as rt:
        receiver = Receiver(rt, settings)
        receiver.start()
        typer.echo(f"Receiving replies on {settings.receiver_host}:{settings.receiver_port}")
        try:
            _wait_for_signal()
        finally:
            receiver.stop()


@app.command()
def digest() -> None:
    """Queue this week's digest for each Head of Service now (once per week)."""
    with reported_errors(), runtime() as rt, rt.uow() as uow:
        added = queue_weekly_digests(uow, datetime.now(UTC))
    typer.echo(f"{added} digest(s) queued")
