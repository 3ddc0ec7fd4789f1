"""The SSRF guard of webhook URLs: public addresses only, checked at save and at delivery.

A webhook may only reach the public internet: loopback, private, link-local (with the cloud
metadata address 169.254.169.254), shared, reserved and multicast addresses are refused,
whether written in the URL or what its host name resolves to. ``IFM_WEBHOOKS_ALLOW_HOSTS``
names hosts allowed anyway (e.g. a receiver on the same machine). Delivery connects to the
very address that was checked, so a name cannot resolve differently in between.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from ifm_api.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(ValueError):
    """The URL may not be a webhook target; the message says why (in English, for logs)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (lower case, no brackets)
    port: int
    address: str | None  # the checked address to connect to (None: resolve when delivering)


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def parse(url: str, settings: Settings) -> Target:
    """Scheme, host and port of a webhook URL; ``Refused`` for a URL that can never be one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused("not a URL") from exc
    allowed = ("https", "http") if settings.webhooks_allow_http else ("https",)
    if parts.scheme not in allowed:
        raise Refused(f"the scheme must be {' or '.join(allowed)}")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise Refused("a host is needed, and no credentials in the URL")
    if parts.fragment:
        raise Refused("no fragment")
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname.lower(), port or default, None)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _allowed(host: str, settings: Settings) -> bool:
    return host in settings.webhooks_allow_hosts


def resolve(target: Target, settings: Settings, *, strict: bool) -> Target:
    """The target with a checked address to connect to.

    ``strict`` (delivery): the name must resolve, and every address it resolves to must be
    public. At save time an unresolvable name passes (it is checked again when delivering).
    """
    literal = _literal(target.host)
    if literal is not None:
        if not _allowed(target.host, settings) and not _public(literal):
            raise Refused(f"{target.host} is not a public address")
        return Target(target.scheme, target.host, target.port, str(literal))
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        if strict:
            raise Refused(f"{target.host} does not resolve") from exc
        return target
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not _allowed(target.host, settings):
        private = [str(a) for a in addresses if not _public(a)]
        if private:
            raise Refused(f"{target.host} resolves to a non-public address ({private[0]})")
    return Target(target.scheme, target.host, target.port, str(addresses[0]))


def check(url: str, settings: Settings, *, strict: bool) -> Target:
    return resolve(parse(url, settings), settings, strict=strict)
