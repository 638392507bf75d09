"""Requests the server makes on someone's behalf (webhooks) that cannot reach inside.

An address typed by an organiser is checked twice: when it is saved (`check_url`: the spelling, then every
address its host resolves to) and when it is used (`post`: the host is resolved once, every address is checked,
and the connection goes to a checked address, with the original host in the Host header and the TLS SNI and
certificate check, so a DNS answer that changes in between cannot switch in an inside address). Only http and
https on ports 80 and 443, no user name or password in the address, no redirects followed.

Refused: private, loopback, link-local, multicast, reserved, unspecified and shared (100.64.0.0/10) addresses,
IPv4 addresses hidden in IPv6 ones (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) when the IPv4 address is
refused, and any host spelled other than as a DNS name, a dotted-quad IPv4 address or a bracketed IPv6 address
(2130706433, 0x7f000001, 0177.0.0.1, 127.1 all are refused).

WEBHOOK_ALLOW_PRIVATE (tests only; production mode refuses to start with it) lets private addresses and other
ports through, for a receiver on 127.0.0.1; the spelling rules still apply.
"""
import http.client
import ipaddress
import re
import socket
import ssl
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

MAX_URL_LENGTH = 500  # AlertSettings.webhook_url's column
ALLOWED_PORTS = (80, 443)
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")  # ASCII (punycode) DNS labels; bounded
_DOTTED_QUAD = re.compile(r"^(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$")
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


class Refused(Exception):
    """The address may not be used. `reason` is for the organiser typing it; the delivery log stays coarse."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def _allow_private():
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))


def address_allowed(ip):
    """True when `ip` (an ipaddress object or a string) is an address on the public internet."""
    if isinstance(ip, str):
        ip = ipaddress.ip_address(ip.split("%", 1)[0])
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return address_allowed(ip.ipv4_mapped)
        if ip in _NAT64:
            return address_allowed(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip in _NAT64_LOCAL or ip in _V4_COMPATIBLE or ip.teredo is not None:
            return False
        if ip.sixtofour is not None and not address_allowed(ip.sixtofour):
            return False
    elif ip in _SHARED:
        return False
    return (ip.is_global and not ip.is_multicast and not ip.is_reserved and not ip.is_private
            and not ip.is_loopback and not ip.is_link_local and not ip.is_unspecified)


def parse(url):
    """Check a webhook address's spelling; returns (scheme, host, port, ip) where `host` is lower case and
    IDNA-encoded (IPv6 without brackets) and `ip` the address when the host is one, else None. Raises Refused."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise Refused(_("A webhook address has at most %(n)d characters.", n=MAX_URL_LENGTH))
    if any(c.isspace() or ord(c) < 0x21 or ord(c) == 0x7F or c in "\\<>\"'{}|^`" for c in url):
        raise Refused(_("A webhook address cannot contain spaces, quotes or control characters."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused(_("This webhook address is not a valid URL.")) from None
    if not (parts.path + parts.query + parts.fragment).isascii():
        raise Refused(_("A webhook address is written in ASCII characters only (escape the others)."))
    if parts.scheme not in ("http", "https"):
        raise Refused(_("A webhook address starts with https:// (or http://)."))
    if "@" in parts.netloc:
        raise Refused(_("A webhook address cannot contain a user name or password."))
    host = parts.hostname or ""
    if not host:
        raise Refused(_("This webhook address has no host name."))
    if "%" in host:  # an IPv6 zone or a %-escaped name
        raise Refused(_("This webhook address is not a valid URL."))
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    if port not in ALLOWED_PORTS and not _allow_private():
        raise Refused(_("A webhook address uses port 80 or 443 (no other port)."))
    if parts.netloc.startswith("[") or ":" in host:
        try:
            ip = ipaddress.IPv6Address(host)
        except ValueError:
            raise Refused(_("This webhook address is not a valid URL.")) from None
        return parts.scheme, str(ip), port, ip
    if _DOTTED_QUAD.match(host):
        return parts.scheme, host, port, ipaddress.IPv4Address(host)
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise Refused(_("This webhook address's host name is not valid.")) from None
    name = ascii_host[:-1] if ascii_host.endswith(".") else ascii_host
    labels = name.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels) \
            or labels[-1].isdigit() or labels[-1].startswith("0x") and all(c in "0123456789abcdefx" for c in labels[-1]):
        # 2130706433, 0x7f000001, 0177.0.0.1, 127.1: numbers that some resolvers read as addresses
        raise Refused(_("This webhook address's host name is not valid (write an address as four numbers "
                        "with dots, or use a domain name)."))
    return parts.scheme, ascii_host, port, None


def resolve(host, port, literal=None):
    """Every address `host` resolves to, each checked; raises Refused (none found, or one not allowed)."""
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            raise Refused(_("This webhook address's host name could not be found.")) from None
        addresses = []
        for info in infos:
            try:
                ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            except ValueError:
                raise Refused(_("This webhook address points to an address that is not allowed.")) from None
            if ip not in addresses:
                addresses.append(ip)
        if not addresses:
            raise Refused(_("This webhook address's host name could not be found."))
    if not _allow_private() and not all(address_allowed(ip) for ip in addresses):
        raise Refused(_("This webhook address points to a private or local network address, which is not "
                        "allowed."))
    return addresses


def check_url(url):
    """Save-time check of a webhook address: spelling, then DNS. Returns the URL; raises Refused."""
    _scheme, host, port, literal = parse(url)
    resolve(host, port, literal)
    return url


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((str(self._address), self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((str(self._address), self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # SNI and certificate: the name


def post(url, body, headers, timeout):
    """POST `body` to `url`, connecting only to checked addresses; returns the status code (a redirect is a
    status like any other: never followed). Raises Refused, or OSError/HTTPException on network failures."""
    scheme, host, port, literal = parse(url)
    addresses = resolve(host, port, literal)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = (f"[{host}]" if ":" in host else host.rstrip(".")) + ("" if port in (80, 443) else f":{port}")
    last = None
    for address in addresses[:2]:  # a second address only when the first cannot be reached
        cls = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
        conn = cls(host.rstrip("."), port, address, timeout)
        try:
            conn.putrequest("POST", target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", host_header)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            return conn.getresponse().status  # the body is neither read, stored nor shown
        except (ConnectionRefusedError, socket.gaierror) as exc:
            last = exc
            continue
        finally:
            conn.close()
    raise last or OSError("no address")
