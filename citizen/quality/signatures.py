"""Device and network signatures: how linked accounts (one person, many guest tokens) are found
without keeping anyone's address. Only keyed hashes are stored, never the raw values; IPv4
addresses are cut to their /24 network and IPv6 to /48 first, so the hash names a network, not
a person, and rotating a key (SECRET_KEY) makes old signatures unlinkable.

A device signature is shared by everyone on one network with the same browser and languages: a
classroom of identical laptops is one "device" and shares one cap (see controls.answer_cap: such
a group may still answer every task once)."""
import hashlib
import hmac
import ipaddress


def network_of(address):
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    # Loopback means local development or a reverse proxy that does not pass the client's address
    # on (set up ProxyFix): linking every visitor into one "device" would be wrong, so say nothing.
    if ip.is_loopback or ip.is_unspecified:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _digest(secret, *parts):
    return hmac.new(secret.encode() if isinstance(secret, str) else secret,
                    "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def signatures(secret, remote_addr, user_agent, accept_language):
    """(device signature, network signature) of a request; None for what cannot be told."""
    network = network_of(remote_addr)
    if not network:
        return None, None
    device = _digest(secret, "device", network, (user_agent or "")[:300], (accept_language or "")[:100])
    return device, _digest(secret, "network", network)
