"""Per-account evidence: each fingerprint indicator as points, with the sentence an analyst reads.

Points are additive and each indicator is capped, so that no single unusual trait (a heavy
but honest user, a 24/7 app, an evaluation run full of step-by-step prompts) reaches a
verdict alone; distillation accounts show several at once. Volume is judged against the
median of the *reference* accounts of the same tier (see :mod:`distillguard.scan.calibrate`),
not against a fixed plan, so a tier full of campaign accounts does not set its own norm.
Everything here is a Polars expression over the fingerprints table, one row per account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from distillguard.signals.extraction import FAMILIES

MIN_SAMPLED: Final = 3  # fewer sampled prompts than this say nothing about focus


@dataclass(frozen=True)
class Indicator:
    """One indicator: its points expression and its reason sentence (shown where points > 0)."""

    name: str
    points: pl.Expr
    reason: pl.Expr


def _num(expr: pl.Expr, decimals: int = 0) -> pl.Expr:
    rounded = expr.cast(pl.Float64).round(decimals)  # polars before 1.2x rounds floats only
    return (rounded.cast(pl.Int64) if decimals == 0 else rounded).cast(pl.String)


def _top_family() -> pl.Expr:
    columns = [pl.col(f"fired_{f}") for f in FAMILIES]
    best = pl.max_horizontal(columns)
    expr = pl.lit(None, dtype=pl.String)
    for family, column in reversed(list(zip(FAMILIES, columns, strict=True))):
        expr = pl.when(column == best).then(pl.lit(family)).otherwise(expr)
    return expr


def indicators(
    columns: frozenset[str] = frozenset({"shared_exit_ips", "payment_reference_share"}),
) -> list[Indicator]:
    """The indicators, each a function of the fingerprint columns (plus ``tier_median``).

    ``columns`` names the optional fingerprint columns present (``shared_exit_ips``,
    ``payment_reference_share``: the scan adds them once the reference is known).
    """
    fired_share = pl.col("fired") / pl.col("sampled")
    # Addresses most of whose users are established accounts (a commercial VPN's exits, an office NAT)
    # say nothing of the account's own rotation (links.address_context); without the column, all count.
    exits = pl.col("shared_exit_ips").fill_null(0) if "shared_exit_ips" in columns else pl.lit(0)
    own_ips = pl.col("ips") - exits
    # A card that established, verified accounts share is a company's cards, not a campaign's: the share
    # of the other holders in the reference discounts it (payment_reference_share); without the column, none.
    card_holders = (
        pl.col("payment_reference_share").fill_null(0.0) if "payment_reference_share" in columns else pl.lit(0.0)
    )
    peers = pl.col("daily_exchanges") / pl.col("tier_median").clip(lower_bound=0.5)
    new_and_busy = (
        (pl.col("days_from_signup") <= 7)
        & (pl.col("first_days_daily") >= 4 * pl.col("tier_median").clip(lower_bound=0.5))
        & (pl.col("first_days_daily") >= 20)
    )
    return [
        Indicator(
            "extraction_focus",
            pl.when(pl.col("sampled") >= MIN_SAMPLED)
            .then(3.0 * ((fired_share - 0.1) / 0.5).clip(0.0, 1.0))
            .otherwise(0.0),
            pl.format(
                "extraction prompts: {}% of {} sampled prompts, mostly {}",
                _num(100 * fired_share),
                pl.col("sampled"),
                _top_family(),
            ),
        ),
        Indicator(
            "volume_vs_tier",
            (peers.log(2) - 2.0).clip(0.0, 2.0),
            pl.format(
                "volume {}x the median {} account ({} exchanges a day)",
                _num(peers, 1),
                pl.col("tier").fill_null("unknown-tier"),
                _num(pl.col("daily_exchanges"), 1),
            ),
        ),
        Indicator(
            "new_at_full_volume",
            pl.when(new_and_busy).then(1.5).otherwise(0.0),
            pl.format(
                "new account at full use from day one: first request {} days after sign-up, {} a day at once",
                _num(pl.col("days_from_signup"), 1),
                _num(pl.col("first_days_daily"), 0),
            ),
        ),
        Indicator(
            "ip_churn",
            pl.when(own_ips >= 6).then(((own_ips / 3).log(2) / 2).clip(0.0, 2.0)).otherwise(0.0),
            pl.format(
                "{} client IP addresses in {} subnets{}",
                own_ips,
                pl.col("subnets"),
                pl.when(exits > 0)
                .then(pl.format(" (and {} shared exits of established accounts, not counted)", exits))
                .otherwise(pl.lit("")),
            ),
        ),
        Indicator(
            "address_rotation",
            pl.when((own_ips >= 10) & (own_ips >= 0.5 * pl.col("exchanges"))).then(0.75).otherwise(0.0),
            pl.format(
                "a fresh address for most requests ({} addresses for {} requests), as rotating proxies give",
                own_ips,
                pl.col("exchanges"),
            ),
        ),
        Indicator(
            "user_agent_churn",
            pl.when(pl.col("user_agents") >= 3).then((0.25 * pl.col("user_agents")).clip(0.0, 1.0)).otherwise(0.0),
            pl.format("{} different user agents", pl.col("user_agents")),
        ),
        Indicator(
            "no_idle_periods",
            pl.when((pl.col("hours_of_day") >= 24) & (pl.col("longest_idle_hours") < 6) & (pl.col("span_days") >= 3))
            .then(0.75)
            .otherwise(0.0),
            pl.format(
                "around the clock: all 24 hours of the day, never idle more than {} h",
                _num(pl.col("longest_idle_hours"), 1),
            ),
        ),
        Indicator(
            "uniform_parameters",
            pl.when((pl.col("exchanges") >= 20) & (pl.col("temperatures") == 1) & (pl.col("max_tokens_values") == 1))
            .then(0.5)
            .otherwise(0.0),
            pl.format("one temperature and one max_tokens on all {} requests", pl.col("exchanges")),
        ),
        Indicator(
            "shared_payment",
            pl.when(pl.col("payment_accounts") >= 2)
            .then((0.5 + 0.5 * (pl.col("payment_accounts") / 2).log(2)).clip(0.0, 2.0) * (1.0 - card_holders))
            .otherwise(0.0),
            pl.format(
                "payment method shared with {} other accounts{}",
                pl.col("payment_accounts") - 1,
                pl.when(card_holders > 0)
                .then(pl.format(", {}% of them established and verified", _num(100 * card_holders)))
                .otherwise(pl.lit("")),
            ),
        ),
        Indicator(
            "fast_model_pivot",
            pl.when(
                (pl.col("new_model_share") >= 0.3)
                & (pl.col("hours_to_new_model") <= 48)
                & (pl.col("exchanges_since_release") >= 20)
            )
            .then(1.0)
            .otherwise(0.0),
            pl.format(
                "moved {}% of its traffic to the new model, first used {} h after its release",
                _num(100 * pl.col("new_model_share")),
                _num(pl.col("hours_to_new_model"), 1),
            ),
        ),
        Indicator(
            "template_focus",
            pl.when((pl.col("sampled") >= 10) & (pl.col("top_template_share") >= 0.5) & (pl.col("fired") > 0))
            .then(0.5)
            .otherwise(0.0),
            pl.format(
                "one prompt template in {}% of sampled prompts", _num(100 * pl.col("top_template_share").fill_null(0))
            ),
        ),
    ]


def payment_reference_share(fingerprints: pl.DataFrame, reference: pl.Series) -> pl.Series:
    """Of the other accounts on each account's payment method, the share that are reference accounts."""
    frame = fingerprints.select("payment_fingerprint", "payment_accounts").with_columns(
        reference.cast(pl.Float64).alias("ref")
    )
    others = (pl.col("payment_accounts") - 1).clip(lower_bound=1)
    held = pl.col("ref").sum().over("payment_fingerprint") - pl.col("ref")
    return frame.select(
        pl.when(pl.col("payment_fingerprint").is_not_null() & (pl.col("payment_accounts") >= 2))
        .then(held / others)
        .otherwise(0.0)
        .clip(0.0, 1.0)
        .alias("payment_reference_share")
    ).to_series()


def score_accounts(fingerprints: pl.DataFrame, tier_medians: pl.DataFrame) -> pl.DataFrame:
    """Each account's points per indicator, its total ``points`` and ``reasons`` (strongest first).

    ``tier_medians`` has columns ``tier`` and ``tier_median`` (exchanges a day); accounts of a
    tier without reference get the median over all reference accounts (row ``tier`` null).
    """
    overall = tier_medians.filter(pl.col("tier").is_null())["tier_median"]
    fallback = float(overall[0]) if overall.len() else 1.0
    frame = fingerprints.join(
        tier_medians.filter(pl.col("tier").is_not_null()), on="tier", how="left", maintain_order="left"
    )
    frame = frame.with_columns(pl.col("tier_median").fill_null(fallback))
    found = indicators(frozenset(frame.columns))
    frame = frame.with_columns(
        *[item.points.fill_null(0.0).alias(f"p_{item.name}") for item in found],
    )
    reasons = pl.concat_list(
        [
            pl.struct(
                pl.col(f"p_{item.name}").alias("points"),
                pl.when(pl.col(f"p_{item.name}") > 0).then(item.reason).alias("text"),
            )
            for item in found
        ]
    )
    return frame.with_columns(
        pl.sum_horizontal([pl.col(f"p_{item.name}") for item in found]).alias("points"),
        reasons.list.eval(
            pl.element()
            .sort_by(pl.element().struct.field("points"), descending=True, maintain_order=True)
            .struct.field("text")
            .drop_nulls()
        ).alias("reasons"),
    )


INDICATOR_NAMES: Final = tuple(item.name for item in indicators())
