"""The summary of a night, e-mailed to the administrators."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage

import structlog

from ..config.operations import ReportSection
from .reading import RunView

log = structlog.get_logger("jonction.mail")


def summary_text(
    view: RunView, sizes: Mapping[int, tuple[int, int]], dashboard_url: str = ""
) -> str:
    """The summary of a run; `sizes` gives the operations and notices of each step run."""
    lines = [
        f"Run {view.id} ({view.command}): {view.status}",
        f"Started {view.started_at:%Y-%m-%d %H:%M} UTC, {(view.seconds or 0) / 60:.1f} minutes.",
        "",
    ]
    for step in view.steps:
        outcomes = step.outcomes()
        notices = sizes.get(step.id, (0, 0))[1]
        lines.append(
            f"- {step.step}: {step.status}, {outcomes['applied']} change(s) applied"
            + (f", {outcomes['failed']} failed" if outcomes["failed"] else "")
            + f", {notices} notice(s), {step.moodle_calls()} Moodle call(s), "
            f"{step.seconds or 0:.0f} s"
        )
        lines.extend(f"    guard: {guard}" for guard in step.guards)
        if step.error and not step.guards:
            lines.append(f"    {step.error}")
    if dashboard_url:
        lines += ["", f"Details: {dashboard_url.rstrip('/')}/runs/{view.id}"]
    lines += ["", f"Or on the server: jonction report {view.id}"]
    return "\n".join(lines) + "\n"


def send_summary(
    report: ReportSection, view: RunView, sizes: Mapping[int, tuple[int, int]]
) -> bool:
    """Sends the summary when SMTP is configured; a failure is logged, never raised."""
    if not report.smtp_host or not report.recipients:
        return False
    message = EmailMessage()
    message["Subject"] = f"{report.subject_prefix} run {view.id}: {view.status}".strip()
    message["From"] = report.sender
    message["To"] = ", ".join(report.recipients)
    message.set_content(summary_text(view, sizes, report.dashboard_url))
    try:
        with smtplib.SMTP(report.smtp_host, report.smtp_port, timeout=30) as smtp:
            if report.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if report.smtp_user and report.smtp_password is not None:
                smtp.login(report.smtp_user, report.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("summary not sent", server=report.smtp_host, error=str(exc))
        return False
    return True
