"""The fetch policy: which hosts may be fetched, what a URL may carry, when to try again.

* :func:`check_host` resolves a host and refuses it when any of its addresses
  is loopback, private, link-local, multicast, unspecified, reserved or
  otherwise not globally routable (IPv4-mapped IPv6 addresses are judged by
  the IPv4 address inside; numeric forms like ``0`` or ``2130706433`` resolve
  to what they are). ``allow_private`` lifts the refusal.
* :func:`strip_userinfo` removes ``user:password@`` from a URL: credentials
  are never stored or logged (they come from the sources file or the
  environment instead, see :class:`Credentials`).
* :func:`retry_delay` is the one retry rule (Prefect's fetch task and the
  in-process runner both use it): exponential backoff, or the server's
  ``Retry-After`` when it asks for longer, capped.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

from flows.errors import FetchError

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


@dataclass(frozen=True)
class Credentials:
    """Secrets for one source, read from the environment at fetch time (never stored).

    ``auth_env`` names a variable holding ``user:password`` (HTTP Basic);
    ``header_env`` maps header names to variables holding their values.
    They are sent only to the host of the URL as given, never after a
    redirect to another host.
    """

    auth_env: str | None = None
    header_env: tuple[tuple[str, str], ...] = ()


def strip_userinfo(url: str) -> str:
    """``url`` without ``user:password@`` (unchanged when it has none or does not parse)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def has_userinfo(url: str) -> bool:
    """Whether ``url`` carries ``user[:password]@`` in its authority."""
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:
        return False


def _judged(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def refusal(address: str) -> str | None:
    """Why ``address`` (an IP address as text) may not be fetched without ``allow_private``, or ``None``."""
    try:
        ip = _judged(address)
    except ValueError:
        return f"{address!r} is not an IP address"
    for kind in ("loopback", "private", "link_local", "multicast", "unspecified", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return f"{ip} is a {kind.replace('_', '-')} address"
    if not ip.is_global:
        return f"{ip} is not a globally routable address"
    return None


def check_host(url: str, allow_private: bool) -> None:
    """Refuse ``url`` when its host resolves to any address :func:`refusal` refuses (raises FetchError)."""
    if allow_private:
        return
    shown = strip_userinfo(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise FetchError(f"{shown}: cannot resolve host {host!r}: {exc}", source=shown, retryable=True) from exc
    for info in infos:
        why = refusal(str(info[4][0]))
        if why:
            raise FetchError(f"{shown}: refused by the fetch policy: {host} → {why} (allow it with "
                             "--allow-private, ARCHIVIST_ALLOW_PRIVATE=1 or allow_private = true)", source=shown)


def redact_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` with the values of Authorization, Proxy-Authorization and Cookie replaced."""
    return [(k, REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in headers]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), or ``None``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def backoff(attempt: int, factor: float = 1.0) -> float:
    """Exponential backoff before try ``attempt + 1`` (``attempt`` counts from 1): 1, 2, 4, … × factor."""
    return factor * 2 ** max(0, attempt - 1)


def retry_delay(exc: BaseException, attempt: int, retries: int, retry_after_max_s: float) -> float | None:
    """Seconds to wait before trying again after ``attempt`` failed, or ``None`` to give up.

    Only a retryable :class:`FetchError` is tried again, at most ``retries``
    times. The wait is the backoff, or the server's ``Retry-After`` when that
    is longer, never more than ``retry_after_max_s``.
    """
    if not isinstance(exc, FetchError) or not exc.retryable or attempt > retries:
        return None
    wait = backoff(attempt)
    if exc.retry_after is not None:
        wait = max(wait, exc.retry_after)
    return min(wait, max(retry_after_max_s, backoff(attempt)))
