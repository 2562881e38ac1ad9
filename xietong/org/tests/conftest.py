"""The real SMTP server of the notification tests (aiosmtpd on a free local port), for the
account mails' end-to-end test."""

from xietong.notify.tests.conftest import smtp  # noqa: F401
