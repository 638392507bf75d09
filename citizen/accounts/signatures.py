"""Device and network signatures: how linked accounts (one person, many guest tokens) are found
without keeping anyone's address. Only keyed hashes are stored, never the raw values, and rotating
the key (SECRET_KEY) makes old signatures unlinkable.

- The *device* signature names the address a request comes from: an IPv4 address (/32), or the
  /64 of an IPv6 address (one household or phone gets a whole /64 and may pick any address in it).
  It is the identity the caps count (controls.answer_cap) and the one independent flaggers are told
  apart by. Nothing a client chooses for free goes into it: not the User-Agent, not Accept-Language,
  not a new guest token, not another address inside its /64. (Keyed on the User-Agent, two guests
  on one address flipped 12 of 12 decided results by sending two different browser names.)
- The *network* signature names the /24 (IPv4) or /48 (IPv6) around it: evidence for the linking
  report (several devices of one office), never a cap on its own.

The price: everyone behind one NAT address (a classroom, an office, a mapathon on one Wi-Fi, phones
behind carrier-grade NAT) is one "device" for the caps. answer_cap never goes below the number of
tasks, so such a group may still answer every task once between them, which is what one honest
person could do; only the share beyond that is refused. A campaign that expects a crowd on one
address raises cap_share (or leaves cap_answers at 0), as its help text says."""
import hashlib
import hmac
import ipaddress

from flask import current_app

DEVICE_PREFIX = {4: 32, 6: 64}
NETWORK_PREFIX = {4: 24, 6: 48}


def _address(address):
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:  # ::ffff:198.51.100.7 is the IPv4 client
        ip = ip.ipv4_mapped
    # Loopback means local development or a reverse proxy that does not pass the client's address
    # on (set up ProxyFix): linking every visitor into one "device" would be wrong, so say nothing.
    if ip.is_loopback or ip.is_unspecified:
        return None
    return ip


def _prefix(ip, prefixes):
    return str(ipaddress.ip_network(f"{ip}/{prefixes[ip.version]}", strict=False))


def network_of(address):
    ip = _address(address)
    return _prefix(ip, NETWORK_PREFIX) if ip is not None else ""


def device_of(address):
    """The address a device signature names: the IPv4 address, or the /64 of an IPv6 address ("" for none)."""
    ip = _address(address)
    return _prefix(ip, DEVICE_PREFIX) if ip is not None else ""


def _digest(secret, *parts):
    return hmac.new(secret.encode() if isinstance(secret, str) else secret,
                    "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def signatures(secret, remote_addr, user_agent=None, accept_language=None):
    """(device signature, network signature) of a request; None for what cannot be told.
    `user_agent` and `accept_language` are accepted and ignored: a client changes them for free."""
    ip = _address(remote_addr)
    if ip is None:
        return None, None
    return _digest(secret, "device", _prefix(ip, DEVICE_PREFIX)), _digest(secret, "network", _prefix(ip, NETWORK_PREFIX))


def pseudonym(campaign_id, contributor_id):
    """A stable name for a contributor within one campaign that reveals nothing about them."""
    key = current_app.config["SECRET_KEY"].encode()
    return "v-" + hmac.new(key, f"{campaign_id}:{contributor_id}".encode(), hashlib.sha256).hexdigest()[:10]
