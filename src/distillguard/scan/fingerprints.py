"""Per-account fingerprints: SQL aggregations over the stage tables, out of core in DuckDB.

One row per account seen in the exchanges, with what the reports and the advisory name
as indicators: volume and its start (new accounts at full use from day one), activity
around the clock and the longest idle period, inter-arrival regularity, infrastructure
churn (IPs, subnets, user agents), parameter uniformity (temperature, max_tokens),
output/input token ratio, the sampled shares of each extraction family, template
concentration, and the move to a newly released model. Each statement is plain SQL
over Parquet, so the same queries run on a Spark SQL engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Final

import duckdb
import polars as pl

from distillguard.signals.extraction import FAMILIES

US_PER_HOUR: Final = 3_600_000_000
US_PER_DAY: Final = 24 * US_PER_HOUR


def sql_text(value: object) -> str:
    """``value`` as a SQL string literal (quotes doubled), for the paths DuckDB reads."""
    return "'" + str(value).replace("'", "''") + "'"


def connect(work: Path, memory_limit: str, threads: int) -> duckdb.DuckDBPyConnection:
    """An embedded DuckDB that spills to ``work`` beyond ``memory_limit``."""
    con = duckdb.connect(str(work / "scan.duckdb"))
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET temp_directory = {sql_text(work / 'spill')}")
    con.execute("SET preserve_insertion_order = false")
    return con


def _family_columns() -> str:
    return ",\n".join(f"count(*) FILTER (WHERE family = {i}) AS fired_{name}" for i, name in enumerate(FAMILIES))


def _newest_model(con: duckdb.DuckDBPyConnection, releases: Mapping[str, datetime]) -> None:
    """The ``newest_model`` table: the model released last within the log, with its release time.

    Release times come from the provider's calendar where given; otherwise a model first seen a
    day or more after the log starts counts as released when it was first seen (then the first
    account to use it, possibly a campaign, shows 0 h after the release).
    """
    if releases:
        frame = pl.DataFrame(
            {"model": list(releases), "first_seen": [int(t.timestamp() * 1_000_000) for t in releases.values()]}
        )
        con.register("release_calendar", frame.to_arrow())
        con.execute(
            """
            CREATE OR REPLACE TABLE newest_model AS
            SELECT model, first_seen FROM release_calendar
            WHERE first_seen BETWEEN (SELECT min(ts) FROM stage) AND (SELECT max(ts) FROM stage)
            ORDER BY first_seen DESC LIMIT 1
            """
        )
        return
    con.execute(
        f"""
        CREATE OR REPLACE TABLE newest_model AS
        WITH first AS (SELECT model, min(ts) AS first_seen FROM stage GROUP BY model)
        SELECT model, first_seen FROM first
        WHERE first_seen >= (SELECT min(ts) FROM stage) + {US_PER_DAY}
        ORDER BY first_seen DESC LIMIT 1
        """
    )


def build_fingerprints(
    con: duckdb.DuckDBPyConnection,
    stage_glob: str,
    accounts_path: Path,
    releases: Mapping[str, datetime] | None = None,
) -> None:
    """Create the ``fingerprints`` table (one row per account) from the stage tables."""
    con.execute(f"CREATE OR REPLACE VIEW stage AS SELECT * FROM read_parquet({sql_text(stage_glob)})")
    con.execute(f"CREATE OR REPLACE VIEW account_info AS SELECT * FROM read_parquet({sql_text(accounts_path)})")
    con.execute(
        f"""
        CREATE OR REPLACE TABLE volume AS
        SELECT account_id,
               count(*) AS exchanges,
               min(ts) AS first_ts,
               max(ts) AS last_ts,
               count(DISTINCT ts // {US_PER_DAY}) AS active_days,
               count(DISTINCT (ts // {US_PER_HOUR}) % 24) AS hours_of_day,
               count(DISTINCT ip) AS ips,
               count(DISTINCT CASE WHEN contains(ip, ':') THEN array_to_string(string_split(ip, ':')[1:4], ':')
                                   ELSE regexp_extract(ip, '^(\\d+\\.\\d+\\.\\d+)\\.', 1) END) AS subnets,
               count(DISTINCT user_agent) AS user_agents,
               count(DISTINCT model) AS models,
               count(DISTINCT temperature) AS temperatures,
               count(DISTINCT max_tokens) AS max_tokens_values,
               count(DISTINCT end_user) AS end_users,
               coalesce(sum(output_tokens), 0) AS output_tokens,
               coalesce(sum(input_tokens), 0) AS input_tokens,
               avg(has_reasoning::INTEGER) AS reasoning_share,
               count(*) FILTER (WHERE sampled) AS sampled,
               count(*) FILTER (WHERE family >= 0) AS fired,
               {_family_columns()}
        FROM stage GROUP BY account_id
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE rhythm AS
        SELECT account_id,
               max(gap) / {US_PER_HOUR} AS longest_idle_hours,
               stddev_pop(gap) / nullif(avg(gap), 0) AS gap_cv
        FROM (SELECT account_id, ts - lag(ts) OVER (PARTITION BY account_id ORDER BY ts) AS gap FROM stage)
        WHERE gap IS NOT NULL GROUP BY account_id
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TABLE template_focus AS
        SELECT account_id, max(uses) / sum(uses) AS top_template_share, count(*) AS templates
        FROM (SELECT account_id, template, count(*) AS uses FROM stage WHERE sampled GROUP BY ALL)
        GROUP BY account_id
        """
    )
    _newest_model(con, releases or {})
    con.execute(
        f"""
        CREATE OR REPLACE TABLE model_pivot AS
        SELECT s.account_id,
               avg((s.model = n.model)::INTEGER) AS new_model_share,
               count(*) AS exchanges_since_release,
               min(s.ts) FILTER (WHERE s.model = n.model) AS first_new_ts,
               (min(s.ts) FILTER (WHERE s.model = n.model) - any_value(n.first_seen)) / {US_PER_HOUR}
                   AS hours_to_new_model
        FROM stage s JOIN newest_model n ON s.ts >= n.first_seen
        GROUP BY s.account_id
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE early AS
        SELECT s.account_id, count(*) AS first_days_exchanges
        FROM stage s JOIN volume v USING (account_id)
        WHERE s.ts < v.first_ts + 3 * {US_PER_DAY}
        GROUP BY s.account_id
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE fingerprints AS
        SELECT v.*,
               greatest((v.last_ts - v.first_ts) / {US_PER_DAY}, 1.0) AS span_days,
               v.exchanges / greatest((v.last_ts - v.first_ts) / {US_PER_DAY}, 1.0) AS daily_exchanges,
               e.first_days_exchanges / least(greatest((v.last_ts - v.first_ts) / {US_PER_DAY}, 1.0), 3.0)
                   AS first_days_daily,
               r.longest_idle_hours, r.gap_cv,
               t.top_template_share, t.templates,
               coalesce(p.new_model_share, 0.0) AS new_model_share,
               coalesce(p.exchanges_since_release, 0) AS exchanges_since_release,
               p.hours_to_new_model,
               a.created_at, a.tier, a.verified, a.payment_fingerprint, a.signup_ip,
               (v.first_ts - epoch_us(a.created_at)) / {US_PER_DAY} AS days_from_signup,
               CASE WHEN a.payment_fingerprint IS NULL THEN 1
                    ELSE count(*) OVER (PARTITION BY a.payment_fingerprint) END AS payment_accounts
        FROM volume v
        LEFT JOIN rhythm r USING (account_id)
        LEFT JOIN template_focus t USING (account_id)
        LEFT JOIN model_pivot p USING (account_id)
        LEFT JOIN early e USING (account_id)
        LEFT JOIN account_info a USING (account_id)
        """
    )
