"""Login throttling on django-axes: growing delays instead of a lock-out a stranger can trigger.

Axes records every failed login (``AccessAttempt``: user name, address, count, last time).
This handler decides from those records, under three keys, how long the next attempt must wait:

- one account from one client address: ``LOGIN_FAILURE_LIMIT`` free failures, then each
  further attempt waits a delay that doubles per failure, capped at ``LOGIN_DELAY_CAP_SECONDS``;
- one client address over any user names (spraying): the same rule after
  ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures;
- one account over all addresses (a distributed guess): the same rule after the much higher
  ``LOGIN_ACCOUNT_FAILURE_LIMIT``, but capped at the short ``LOGIN_ACCOUNT_DELAY_CAP_SECONDS``,
  so no stranger can keep the account's owner out for long.

Attempts refused while a delay runs are not counted (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT
= False``), so hammering the form does not push the delay further out. Failures are forgotten
after ``AXES_COOLOFF_TIME`` without new ones.

The client address is REMOTE_ADDR unless a trusted reverse proxy is configured
(``TRUSTED_PROXY_HEADER`` and ``TRUSTED_PROXIES``): a header a client can write is never read
otherwise.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.shortcuts import render


def progressive_delay(failures: int, *, limit: int, base: int, cap: int) -> int:
    """Seconds the next attempt waits after ``failures`` failures: none below ``limit``, then
    ``base`` doubling per further failure, never more than ``cap``."""
    if failures < limit:
        return 0
    exponent = min(failures - limit, 30)  # 2**30 seconds is past any cap
    return min(base * 2**exponent, cap)


def _wait(attempts, *, now: datetime, limit: int, cap: int) -> int:
    row = attempts.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    if not row["failures"]:
        return 0
    delay = progressive_delay(row["failures"], limit=limit, base=settings.LOGIN_DELAY_SECONDS, cap=cap)
    if not delay:
        return 0
    return max(0, math.ceil((row["last"] + timedelta(seconds=delay) - now).total_seconds()))


def login_retry_after(request, credentials=None) -> int:
    """Seconds before this request's login may be tried again (0: it may be tried now)."""
    now = request.axes_attempt_time
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - settings.AXES_COOLOFF_TIME)
    username = get_client_username(request, credentials)
    address = request.axes_ip_address
    cap = settings.LOGIN_DELAY_CAP_SECONDS
    waits = [
        _wait(
            recent.filter(username=username, ip_address=address),
            now=now,
            limit=settings.LOGIN_FAILURE_LIMIT,
            cap=cap,
        ),
        _wait(
            recent.filter(ip_address=address), now=now, limit=settings.LOGIN_ADDRESS_FAILURE_LIMIT, cap=cap
        ),
    ]
    if username:
        waits.append(
            _wait(
                recent.filter(username=username),
                now=now,
                limit=settings.LOGIN_ACCOUNT_FAILURE_LIMIT,
                cap=settings.LOGIN_ACCOUNT_DELAY_CAP_SECONDS,
            )
        )
    return max(waits)


class ThrottlingHandler(AxesDatabaseHandler):
    """Axes' database handler with growing delays per account and address, per address and per
    account (see the module docstring) in place of its single failure limit."""

    def is_locked(self, request, credentials=None) -> bool:
        request.login_retry_after = login_retry_after(request, credentials)
        return request.login_retry_after > 0

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        # The failure just recorded may start a delay: say so now rather than on the next try.
        request.login_retry_after = login_retry_after(request, credentials)
        if request.login_retry_after > 0:
            request.axes_locked_out = True
            request.axes_credentials = credentials


def lockout_response(request, original_response=None, credentials=None):
    """The page for a login that must wait (AXES_LOCKOUT_CALLABLE): 429 with the wait in seconds."""
    seconds = max(1, getattr(request, "login_retry_after", 0) or login_retry_after(request, credentials))
    response = render(request, "core/locked_out.html", {"seconds": seconds}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _trusted_networks(entries: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request) -> str | None:
    """The client's address (AXES_CLIENT_IP_CALLABLE): REMOTE_ADDR, or the address the trusted
    proxies put in TRUSTED_PROXY_HEADER.

    TRUSTED_PROXIES is either a number of proxies in front of the application (each appends the
    address it saw, so the client is that many entries from the right) or the proxies' addresses
    (the client is the right-most entry that is not a proxy, and only when REMOTE_ADDR is one).
    Entries further left are the client's own and can be forged, so they are never used.
    """
    remote = request.META.get("REMOTE_ADDR")
    header = settings.TRUSTED_PROXY_HEADER
    proxies = settings.TRUSTED_PROXIES
    if not header or not proxies:
        return remote
    raw = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
    hops = [hop.strip() for hop in raw.split(",") if hop.strip()]
    if proxies.isdigit():
        count = int(proxies)
        client = hops[-count] if 0 < count <= len(hops) else None
    else:
        networks = _trusted_networks([entry.strip() for entry in proxies.split(",") if entry.strip()])
        if not remote or not _is_trusted(remote, networks):
            return remote
        client = next((hop for hop in reversed(hops) if not _is_trusted(hop, networks)), None)
    return client if client and _is_address(client) else remote
