"""The client's address: the connection's peer, or what trusted proxies say in ``X-Forwarded-For``.

Each proxy appends the address it got the request from, so the header reads
``client-supplied, ..., hop seen by proxy 1, hop seen by proxy 2`` and only the right end of it is
written by proxies the operator runs; anything to the left of the first address they did not vouch
for is whatever the client sent. So the header is read only when the peer is a trusted proxy
(``trusted_proxies``: addresses or networks), and walked from the right past trusted addresses; the
first untrusted one is the client. A hop that is not an address (``not-an-ip``, 5,000 characters)
ends the walk, and the last address a trusted proxy vouched for stands. Every address is parsed by
:mod:`ipaddress` and written in its normal form (an IPv4-mapped IPv6 address as IPv4; ports and
brackets dropped), so nothing but a valid address reaches the event log.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Final

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LONGEST: Final = 64  # an IPv6 address with a zone and a port fits; anything longer is not an address


def parse_address(text: str) -> Address | None:
    """The address in one hop (``1.2.3.4``, ``1.2.3.4:80``, ``[2001:db8::1]:443``, ``2001:db8::1``), else ``None``."""
    hop = text.strip()
    if not hop or len(hop) > LONGEST:
        return None
    if hop.startswith("["):
        hop = hop[1 : hop.find("]")] if "]" in hop else ""
    elif hop.count(":") == 1:  # IPv4 with a port (IPv6 has two colons or more)
        hop = hop.partition(":")[0]
    try:
        address = ipaddress.ip_address(hop)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_network(text: str) -> Network:
    """An address or a network (``10.0.0.0/8``, ``fd00::/8``); raises ``ValueError`` naming it."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an IP address or network ({exc})") from None


class ClientAddress:
    """Finds the client's address of a request, trusting ``X-Forwarded-For`` only from ``trusted`` proxies."""

    def __init__(self, trusted: Sequence[str], *, forwarded_for: bool) -> None:
        self.networks = tuple(parse_network(t) for t in trusted)
        self.forwarded_for = forwarded_for and bool(self.networks)

    def trusted(self, address: Address) -> bool:
        """Whether ``address`` is one of the operator's proxies."""
        return any(address in network for network in self.networks)

    def __call__(self, peer: str | None, forwarded: Iterable[str] = ()) -> str | None:
        """The client's address, given the connection's ``peer`` and the ``X-Forwarded-For`` headers, in order."""
        address = parse_address(peer) if peer is not None else None
        if address is None:
            return None
        if not self.forwarded_for or not self.trusted(address):
            return str(address)
        hops = [hop for header in forwarded for hop in header.split(",")]
        for hop in reversed(hops):
            seen = parse_address(hop)
            if seen is None:
                break  # garbage to the left of our proxies: the last address they vouched for stands
            address = seen
            if not self.trusted(seen):
                break
        return str(address)
