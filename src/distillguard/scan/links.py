"""Links between accounts, as a bipartite graph of accounts and the indicators they share.

An indicator is something two accounts should not have in common by chance:

- ``pay:`` a payment fingerprint (from the accounts table);
- ``ip:`` a client address the account used (at most ``IPS_PER_ACCOUNT`` per account, chosen by
  a hash of the address, so that two accounts of a large rotating pool keep the same chance to
  meet whatever their volume, and the graph stays bounded);
- ``tpl:`` an extraction template: a prompt skeleton on which an extraction family fired,
  seen twice or more and in a fifth or more of the account's sampled prompts (a trick the
  account merely tried among many, as a sweep does, is no tie: public templates circulate);
- ``sync:`` a lockstep group: accounts active in the same one-minute windows, found
  SynchroTrap-style with MinHash signatures of each account's set of active windows and
  locality-sensitive hashing (bands of ``ROWS_PER_BAND`` hashes), each account then
  checked against its bucket's first member on the whole signature.

- ``pivot:`` a coordinated move to a new model: the hour after its release in which an account
  that moved 30% or more of 20+ exchanges to it first used it;
- ``item:`` a task item: the payload inside the wrapper, by near-duplicate hashing
  (:mod:`distillguard.scan.payload`): the smallest of a sampled prompt's word-pair hashes that
  ``ITEM_COMMON_SHARE`` or less of the sampled prompts hold (wrappers and common phrasing are
  held by many), so one item asked in different wrappers, or reworded, gets one key;
- ``cohort:`` moving together: the day of sign-up, the first and the last active day; accounts
  created and started and stopped on the same days (a shift of a hydra) share it.

Only indicators held by two accounts or more are kept; each edge carries the weight
``1 / log(degree + 5)`` of its indicator (Fraudar's column weighting, so that an indicator
shared by a huge crowd, a NAT or a popular template, counts for little), times the share of
its holders outside the reference (an indicator most of whose holders are established,
verified accounts is what legitimate accounts share). The pair explosion of a shared
indicator never happens: the graph stays bipartite.

:func:`address_context` counts, per account, its *shared exits*: addresses most of whose users
are reference accounts and three or more of them (a commercial VPN's exits, an office's NAT),
which say nothing about the account's own rotation.
"""

from __future__ import annotations

from typing import Final

import duckdb

from distillguard.scan.fingerprints import US_PER_DAY, sql_text

# How an indicator's kind prefixes its value in the ``edges`` table ("pay:" + a payment fingerprint): one place,
# read back by :func:`indicator_value`.
INDICATOR_PREFIX: Final[dict[str, str]] = {
    "payment": "pay:",
    "ip": "ip:",
    "template": "tpl:",
    "sync": "sync:",
    "pivot": "pivot:",
    "item": "item:",
    "cohort": "cohort:",
}


def indicator_value(kind: str, indicator: str) -> str:
    """An ``edges`` indicator without its kind's prefix: the address, the payment fingerprint, the template key."""
    return indicator.removeprefix(INDICATOR_PREFIX[kind])


HASHES: Final = 32
ROWS_PER_BAND: Final = 4
WINDOW_US: Final = 60_000_000
MIN_WINDOWS: Final = 10  # fewer active minutes than this says nothing about synchrony
SYNC_JACCARD: Final = 0.3
SYNC_LIFT: Final = 2.0  # observed similarity over what independent accounts of those sizes would show
IPS_PER_ACCOUNT: Final = 64
PIVOT_WINDOW_US: Final = 3_600_000_000
PIVOT_SHARE: Final = 0.3
PIVOT_MIN_EXCHANGES: Final = 20
TEMPLATE_SHARE: Final = 0.2
MAX_INDICATOR_ACCOUNTS: Final = 50_000
ITEM_COMMON_SHARE: Final = 0.0005  # a word pair in more of the sampled prompts than this is wrapper or phrasing ...
ITEM_COMMON_MIN: Final = 20  # ... and never fewer prompts than this
ITEMS_PER_ACCOUNT: Final = 64
EXIT_REFERENCE_USERS: Final = 3
EXIT_REFERENCE_SHARE: Final = 0.5


def _minhash_columns() -> str:
    return ", ".join(f"min(hash(w, {i})) AS h{i}" for i in range(HASHES))


def _band_rows() -> str:
    bands = []
    for band in range(HASHES // ROWS_PER_BAND):
        cols = ", ".join(f"h{band * ROWS_PER_BAND + j}" for j in range(ROWS_PER_BAND))
        bands.append(f"SELECT account_id, windows, {band} AS band, hash({cols}) AS bucket FROM signatures")
    return "\nUNION ALL\n".join(bands)


def _agreement(left: str, right: str) -> str:
    agreeing = " + ".join(f"({left}.h{i} = {right}.h{i})::INTEGER" for i in range(HASHES))
    return f"(({agreeing}) / {HASHES}.0)"


def address_context(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``shared_exits`` (account_id, shared_exit_ips) from the stage and the ``reference`` table."""
    con.execute(
        f"""
        CREATE OR REPLACE TABLE shared_exits AS
        WITH pairs AS (SELECT DISTINCT account_id, ip FROM stage WHERE ip IS NOT NULL),
        users AS (
            SELECT p.ip, count(*) AS accounts, count(r.account_id) AS reference_accounts
            FROM pairs p LEFT JOIN reference r USING (account_id) GROUP BY p.ip
        )
        SELECT p.account_id, count(*) AS shared_exit_ips
        FROM pairs p JOIN users u USING (ip)
        WHERE u.reference_accounts >= {EXIT_REFERENCE_USERS}
          AND u.reference_accounts >= {EXIT_REFERENCE_SHARE} * u.accounts
        GROUP BY p.account_id
        """
    )


def _items(con: duckdb.DuckDBPyConnection, shingles_glob: str) -> None:
    """``account_items`` (account_id, item, uses): the task items of each account's sampled prompts."""
    con.execute(f"CREATE OR REPLACE VIEW shingles AS SELECT * FROM read_parquet({sql_text(shingles_glob)})")
    prompts = con.execute("SELECT count(*) FROM stage WHERE sampled").fetchall()[0][0] or 0
    common = max(ITEM_COMMON_MIN, int(ITEM_COMMON_SHARE * prompts))
    con.execute(
        f"""
        CREATE OR REPLACE TABLE account_items AS
        WITH counts AS (SELECT hash, count(*) AS prompts FROM shingles GROUP BY hash),
        items AS (
            SELECT s.prompt, min(s.hash) AS item FROM shingles s JOIN counts c USING (hash)
            WHERE c.prompts <= {common} GROUP BY s.prompt
        )
        SELECT st.account_id, i.item, count(*) AS uses
        FROM stage st JOIN items i USING (prompt) GROUP BY ALL
        """
    )


def build_links(con: duckdb.DuckDBPyConnection, shingles_glob: str | None = None) -> None:
    """Create the ``edges`` table (account_id, indicator, kind, accounts, reference holders, weight).

    Needs the ``stage``, ``fingerprints``, ``model_pivot`` and ``newest_model`` tables (see
    :mod:`distillguard.scan.fingerprints`) and a ``reference`` table of account ids (it may be
    empty); ``shingles_glob`` names the payload sketches (no item links without them).
    """
    if shingles_glob is None:
        con.execute("CREATE OR REPLACE TABLE account_items (account_id VARCHAR, item UBIGINT, uses BIGINT)")
    else:
        _items(con, shingles_glob)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE signatures AS
        SELECT account_id, count(*) AS windows, {_minhash_columns()}
        FROM (SELECT DISTINCT account_id, ts // {WINDOW_US} AS w FROM stage)
        GROUP BY account_id HAVING count(*) >= {MIN_WINDOWS}
        """
    )
    span = con.execute(f"SELECT (max(ts) - min(ts)) // {WINDOW_US} + 1 FROM stage").fetchall()
    total_windows = float(span[0][0]) if span and span[0][0] else 1.0
    con.execute(f"CREATE OR REPLACE TABLE bands AS {_band_rows()}")
    # Each bucket's first member is its anchor; an account joins the bucket's sync group when its
    # signature agrees with the anchor's on enough hashes and well above what chance would give.
    con.execute(
        f"""
        CREATE OR REPLACE TABLE sync_members AS
        WITH buckets AS (
            SELECT band, bucket, min(account_id) AS anchor FROM bands
            GROUP BY band, bucket HAVING count(*) >= 2
        ),
        members AS (
            SELECT b.account_id, k.band, k.bucket, k.anchor FROM bands b JOIN buckets k USING (band, bucket)
        )
        SELECT m.account_id, '{INDICATOR_PREFIX["sync"]}' || m.band || ':' || m.bucket AS indicator,
               {_agreement("s", "a")} AS similarity
        FROM members m
        JOIN signatures s ON s.account_id = m.account_id
        JOIN signatures a ON a.account_id = m.anchor
        WHERE m.account_id = m.anchor OR (
            {_agreement("s", "a")} >= {SYNC_JACCARD}
            AND {_agreement("s", "a")} >= {SYNC_LIFT} * (
                (s.windows / {total_windows}) * (a.windows / {total_windows})
                / ((s.windows / {total_windows}) + (a.windows / {total_windows})
                   - (s.windows / {total_windows}) * (a.windows / {total_windows}))))
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE raw_edges AS
        SELECT DISTINCT account_id, '{INDICATOR_PREFIX["payment"]}' || payment_fingerprint AS indicator,
               'payment' AS kind
        FROM fingerprints WHERE payment_fingerprint IS NOT NULL
        UNION ALL
        SELECT account_id, '{INDICATOR_PREFIX["ip"]}' || ip, 'ip' FROM (
            SELECT account_id, ip, row_number() OVER (PARTITION BY account_id ORDER BY hash(ip)) AS k
            FROM (SELECT DISTINCT account_id, ip FROM stage WHERE ip IS NOT NULL))
        WHERE k <= {IPS_PER_ACCOUNT}
        UNION ALL
        SELECT account_id, '{INDICATOR_PREFIX["template"]}' || template, 'template' FROM (
            SELECT account_id, template, count(*) AS uses, max(family) AS family,
                   sum(count(*)) OVER (PARTITION BY account_id) AS account_uses
            FROM stage WHERE sampled GROUP BY account_id, template)
        WHERE family >= 0 AND uses >= 2 AND uses >= {TEMPLATE_SHARE} * account_uses
        UNION ALL
        SELECT account_id, indicator, 'sync' FROM sync_members
        UNION ALL
        SELECT account_id,
               '{INDICATOR_PREFIX["pivot"]}' || ((first_new_ts - n.first_seen) // {PIVOT_WINDOW_US}), 'pivot'
        FROM model_pivot p, newest_model n
        WHERE p.new_model_share >= {PIVOT_SHARE} AND p.exchanges_since_release >= {PIVOT_MIN_EXCHANGES}
        UNION ALL
        SELECT account_id, '{INDICATOR_PREFIX["item"]}' || item, 'item' FROM (
            SELECT account_id, item, row_number() OVER (PARTITION BY account_id ORDER BY item) AS k
            FROM account_items)
        WHERE k <= {ITEMS_PER_ACCOUNT}
        UNION ALL
        SELECT account_id,
               '{INDICATOR_PREFIX["cohort"]}' || coalesce((epoch_us(created_at) // {US_PER_DAY})::VARCHAR, '-') || ':'
                   || (first_ts // {US_PER_DAY}) || ':' || (last_ts // {US_PER_DAY}),
               'cohort'
        FROM fingerprints
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE edges AS
        WITH degree AS (
            SELECT e.indicator, count(*) AS accounts, count(r.account_id) AS reference_accounts
            FROM raw_edges e LEFT JOIN reference r USING (account_id) GROUP BY e.indicator
        )
        SELECT e.account_id, e.indicator, e.kind, d.accounts AS indicator_accounts,
               d.reference_accounts AS indicator_reference,
               (1.0 - d.reference_accounts / d.accounts) / ln(d.accounts + 5) AS weight
        FROM raw_edges e JOIN degree d USING (indicator)
        WHERE d.accounts BETWEEN 2 AND {MAX_INDICATOR_ACCOUNTS}
        """
    )
