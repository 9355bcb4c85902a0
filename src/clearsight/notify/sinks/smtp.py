"""``type = "smtp"``: a plain-text email of the confirmed alert (stdlib smtplib and email).

The email says which alert, whom, where and when, and links to the alert's page when the
service's address is given; it carries no face image.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from clearsight.notify.sinks import AlertSink, ConfirmedAlertMessage, Delivery, SinkConfig

__all__ = ["SmtpSink", "SmtpSinkConfig", "email_of"]

# An address as the sender and recipients are written: local@domain, no display name.
ADDRESS = r"^[^@\s<>,;]+@[^@\s<>,;]+$"
# The web service's page of one settled alert (clearsight.web's /events/{alert_id}).
ALERT_PAGE = "/events/{alert_id}"
Address = Annotated[str, StringConstraints(pattern=ADDRESS, max_length=320)]


class SmtpSinkConfig(SinkConfig):
    type: Literal["smtp"] = Field(
        "smtp", title="Sink type", description="An email of each confirmed alert."
    )
    host: str = Field(
        min_length=1, max_length=255, title="SMTP server", description="The mail server's host."
    )
    port: int = Field(
        587,
        ge=1,
        le=65535,
        title="SMTP port",
        description="587 for STARTTLS, 465 for SSL, 25 for neither.",
    )
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls",
        title="Connection security",
        description="`starttls` upgrades the connection after connecting; `ssl` connects with "
        "TLS from the start; `none` sends in the clear (a local relay only). The server's "
        "certificate and host name are checked.",
    )
    ca_file: Path | None = Field(
        None,
        title="CA certificate",
        description="PEM file of the authority that signed the server's certificate; None uses "
        "the system's trusted authorities.",
    )
    username: str | None = Field(
        None,
        max_length=200,
        title="User name",
        description="Account to log in with; None sends without logging in.",
    )
    password: str | None = Field(
        None, max_length=1000, title="Password", description="Password for the account."
    )
    from_address: Address = Field(
        title="From",
        description="Sender address, e.g. `clearsight@example.org`.",
    )
    to_addresses: list[Address] = Field(
        min_length=1,
        max_length=100,
        title="To",
        description="Recipient addresses; each gets the email (one message, all in To).",
    )
    subject_prefix: str = Field(
        "[clearsight]",
        max_length=100,
        title="Subject prefix",
        description="Put before each email's subject, so mail filters can sort them.",
    )
    service_url: str | None = Field(
        None,
        pattern=r"^https?://",
        max_length=2000,
        title="Service address",
        description="The service's address as its users reach it (e.g. "
        "`https://clearsight.example.org`); when set, the email links to the alert's page. "
        "The link opens only for someone signed in.",
    )

    @model_validator(mode="after")
    def _login_in_pairs(self) -> SmtpSinkConfig:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together (give both or neither)")
        return self

    def open(self) -> SmtpSink:
        return SmtpSink(self)


def email_of(message: ConfirmedAlertMessage, config: SmtpSinkConfig) -> EmailMessage:
    """The email of one confirmed alert: plain text, no images."""
    email = EmailMessage()
    email["Subject"] = (
        f"{config.subject_prefix} Confirmed alert: {message.subject_name} at {message.source}"
    ).strip()
    email["From"] = config.from_address
    email["To"] = ", ".join(config.to_addresses)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid("clearsight")
    lines = [
        "Reviewers confirmed this alert; it is for the people who act on it.",
        "",
        f"Alert: {message.alert_id}",
        f"Person: {message.subject_name} (watchlist entry {message.subject_id})",
        f"Camera: {message.source}" + (f" ({message.camera_id})" if message.camera_id else ""),
        f"Seen at: {message.capture_time}",
        f"Confirmed at: {message.confirmed_at}",
        f"Score: {message.score:.3f}, estimated false match rate {message.estimated_fmr:.2g}",
    ]
    if config.service_url:
        page = ALERT_PAGE.format(alert_id=message.alert_id)
        lines += ["", f"Alert page: {config.service_url.rstrip('/')}{page}"]
    email.set_content("\n".join(lines) + "\n")
    return email


class SmtpSink(AlertSink):
    def __init__(self, config: SmtpSinkConfig) -> None:
        super().__init__(config.name)
        self.config = config

    def send(self, message: ConfirmedAlertMessage) -> Delivery:
        import smtplib  # loaded by a sink that sends, not by the config

        config = self.config
        email = email_of(message, config)
        try:
            context = ssl.create_default_context(
                cafile=str(config.ca_file) if config.ca_file else None
            )
            client: smtplib.SMTP
            if config.security == "ssl":
                client = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=config.timeout_s, context=context
                )
            else:
                client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
            with client:
                if config.security == "starttls":
                    client.starttls(context=context)
                if config.username is not None and config.password is not None:
                    client.login(config.username, config.password)
                refused = client.send_message(email)
        except (smtplib.SMTPException, OSError) as error:
            return Delivery.failed(f"{type(error).__name__}: {error}")
        if refused:  # some recipients were refused, the others took it: that is delivery
            return Delivery.sent(f"refused by {', '.join(sorted(refused))}")
        return Delivery.sent(f"mailed to {len(config.to_addresses)} recipients")
