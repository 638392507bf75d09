"""Who a limit counts: one network, not one address. An IPv4 address is one subscriber (or one NAT: see event
codes in citizen.accounts.events); an IPv6 subscriber gets at least a /64 and may rotate the rest of the address
freely, so the /64 is the unit."""
import ipaddress

from flask_limiter.util import get_remote_address


def address_key(address):
    """An IPv4 address, or the /64 of an IPv6 one (an IPv4-mapped IPv6 address is its IPv4 address). Anything else
    (no address, a unix socket) is counted as itself, cut short."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return f"{ipaddress.IPv6Address(int(ip) >> 64 << 64)}/64"
    return str(ip)


def wider_network_key(address):
    """The block a guest limit counts beside the address: an IPv4 /24 or an IPv6 /48 (a site's allocation). One
    subscriber or one hosting customer often holds a whole /24 (or a /48 and its 65,536 /64s): counted per address
    only, such a block could make tens of thousands of guests an hour. Anything else counts as address_key."""
    key = address_key(address)
    try:
        ip = ipaddress.ip_address(key.split("/", 1)[0])
    except ValueError:
        return key
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def remote_network():
    """The key of every rate limit (Flask-Limiter's key_func and the guest limit): the caller's network."""
    return address_key(get_remote_address())
