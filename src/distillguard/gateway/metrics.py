"""The gateway's metrics in Prometheus' text format (``GET /metrics``).

- ``distillguard_requests_total{tier, verdict, action, status}``: every request the engine decided;
- ``distillguard_refused_total{status, reason}``: every request refused before it (keys tried show here);
- ``distillguard_refusals_unlogged_total``: refusals over the event log's rate for them, counted only;
- ``distillguard_gateway_seconds``: the time the gateway itself adds to a request (outside the upstream call);
- ``distillguard_decisions_loaded``, ``distillguard_keys_loaded``: the size of the tables in force;
- ``distillguard_event_log_pending``: records waiting for the next flush;
- ``distillguard_client_timeouts_total{phase}``: connections cut off because a client's headers or body came too
  slowly (``header_timeout_s``, ``body_timeout_s``).

Each gateway process has its own registry; scrape every replica.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

#: Buckets for the added latency, in seconds: 0.25 ms to 250 ms.
BUCKETS: Final = (0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"


class GatewayMetrics:
    """Counters, a latency histogram and gauges in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "distillguard_requests",
            "Requests decided by the gateway, by tier, verdict, action and the status returned.",
            ["tier", "verdict", "action", "status"],
            registry=self.registry,
        )
        self.refused = Counter(
            "distillguard_refused",
            "Requests refused before the engine (no key, an unknown key, a bad or oversized body, an unknown URL), "
            "by status and reason; never the key.",
            ["status", "reason"],
            registry=self.registry,
        )
        self.refusals_unlogged = Counter(
            "distillguard_refusals_unlogged",
            "Refused requests over event_log.max_refusals_per_second, counted here but not written to the event log.",
            registry=self.registry,
        )
        self.added = Histogram(
            "distillguard_gateway_seconds",
            "Time the gateway adds to a request, outside the upstream call.",
            buckets=BUCKETS,
            registry=self.registry,
        )

        self.timeouts = Counter(
            "distillguard_client_timeouts",
            "Connections cut off because the client's headers or body came too slowly, by phase.",
            ["phase"],
            registry=self.registry,
        )

    def gauge(self, name: str, description: str, read: Callable[[], float]) -> None:
        """A gauge read when scraped."""
        Gauge(name, description, registry=self.registry).set_function(read)

    def observe(self, tier: str, verdict: str, action: str, status: int, added_ms: float | None) -> None:
        """Count one decided request."""
        self.requests.labels(tier, verdict, action, str(status)).inc()
        if added_ms is not None:
            self.added.observe(added_ms / 1000)

    def refuse(self, status: int, reason: str) -> None:
        """Count one request refused before the engine."""
        self.refused.labels(str(status), reason).inc()

    def render(self) -> bytes:
        """The registry in the text exposition format."""
        return generate_latest(self.registry)
