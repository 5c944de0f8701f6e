"""The client's address: X-Forwarded-For read only as far as trusted proxies wrote it, every address validated."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from distillguard.errors import ConfigError
from distillguard.gateway.client_address import ClientAddress, parse_address
from distillguard.gateway.settings import load_gateway_settings
from tests.gateway.conftest import PAYG, chat_body, settings_for
from tests.gateway.test_gateway_app import CHAT, logged, running

PROXIES = ClientAddress(["10.0.0.0/8", "192.0.2.1", "2001:db8:ffff::/48"], forwarded_for=True)


@pytest.mark.parametrize(
    ("peer", "headers", "client"),
    [
        ("203.0.113.5", ["6.6.6.6"], "203.0.113.5"),  # not from a proxy: the header is the client's own words
        ("10.1.2.3", ["198.51.100.9"], "198.51.100.9"),  # one proxy: the address it saw
        ("10.1.2.3", ["6.6.6.6, 198.51.100.9"], "198.51.100.9"),  # a spoofed entry to the left is skipped
        ("10.1.2.3", ["6.6.6.6, 198.51.100.9, 10.9.9.9"], "198.51.100.9"),  # two proxies: right-most untrusted hop
        ("10.1.2.3", ["6.6.6.6", "198.51.100.9"], "198.51.100.9"),  # repeated headers read in order
        ("10.1.2.3", ["not-an-ip"], "10.1.2.3"),  # garbage: the last address a proxy vouched for
        ("10.1.2.3", ["198.51.100.9, not-an-ip"], "10.1.2.3"),
        ("10.1.2.3", ["1" * 5000], "10.1.2.3"),
        ("10.1.2.3", [], "10.1.2.3"),
        ("10.1.2.3", ["10.4.4.4, 10.5.5.5"], "10.4.4.4"),  # every hop trusted: the left-most
        ("192.0.2.1", ["198.51.100.9:51234"], "198.51.100.9"),  # a port is dropped
        ("192.0.2.1", ["[2001:db8::7]:443"], "2001:db8::7"),
        ("2001:db8:ffff::1", ["2001:DB8:0:0::8"], "2001:db8::8"),  # written in the normal form
        ("::ffff:10.0.0.1", ["::ffff:198.51.100.9"], "198.51.100.9"),  # IPv4-mapped IPv6 as IPv4
        ("unix-socket-path", ["198.51.100.9"], None),
    ],
)
def test_the_right_most_untrusted_hop_is_the_client(peer: str, headers: list[str], client: str | None) -> None:
    assert PROXIES(peer, headers) == client


def test_without_forwarded_for_the_header_is_never_read() -> None:
    assert ClientAddress(["10.0.0.0/8"], forwarded_for=False)("10.1.2.3", ["198.51.100.9"]) == "10.1.2.3"


@pytest.mark.parametrize("text", ["", "not-an-ip", "1.2.3", "1.2.3.4.5", "999.1.1.1", "01.2.3.4", "[::1", "x" * 5000])
def test_what_is_not_an_address_is_refused(text: str) -> None:
    assert parse_address(text) is None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("forwarded_for = true\n", "forwarded_for = true needs trusted_proxies"),
        ('forwarded_for = true\ntrusted_proxies = ["10.0.0.0/33"]\n', "'10.0.0.0/33' is not an IP address or network"),
        ('trusted_proxies = ["proxy.internal"]\n', "'proxy.internal' is not an IP address or network"),
    ],
)
def test_settings_refuse_forwarded_for_without_valid_proxies(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "g.toml").write_text("schema_version = 1\n" + config)
    with pytest.raises(ConfigError, match="trusted_proxies") as caught:
        load_gateway_settings(tmp_path / "g.toml")
    assert message in str(caught.value)


def test_the_gateway_logs_the_address_its_proxies_saw(gateway_dir: Path, upstream_url: str) -> None:
    trusting = settings_for(gateway_dir, upstream_url, forwarded_for=True, trusted_proxies=["198.51.100.0/24"])

    async def body() -> None:
        async with running(trusting) as (_, http):  # the test client connects from 198.51.100.7
            for forwarded in ("6.6.6.6, 203.0.113.44", "not-an-ip", "1" * 5000):
                headers = {**PAYG, "x-forwarded-for": forwarded}
                assert (await http.post(CHAT, json=chat_body(), headers=headers)).status_code == 200

    anyio.run(body)
    assert [r["ip"] for r in logged(gateway_dir)] == ["203.0.113.44", "198.51.100.7", "198.51.100.7"]
