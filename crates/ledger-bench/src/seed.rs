//! Bulk fixtures, written straight into the schema with set-based SQL (creating
//! a million accounts through the API would take longer than the benchmark).
//! Every fixture keeps the ledger's invariants: each opening balance is a real
//! balanced transaction with its entries, and counters equal their sums — the
//! checks after each scenario verify exactly that.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{Integer, Uuid as SqlUuid};
use uuid::Uuid;

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

fn ledger(conn: &mut PgConnection, name: &str) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    sql_query(
        "INSERT INTO ledgers (id, name, metadata, withdrawal_fee_rate, created_at) VALUES ($1, $2, '{}', 0.02, now())",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<diesel::sql_types::Text, _>(name)
    .execute(conn)?;
    Ok(id)
}

/// `cash:USD` and `revenue:withdrawal_fees:USD` with their counter rows.
fn house_accounts(conn: &mut PgConnection, ledger: Uuid) -> anyhow::Result<Uuid> {
    let cash = Uuid::now_v7();
    let revenue = Uuid::now_v7();
    sql_query(
        "INSERT INTO accounts (id, ledger_id, name, code, kind, normal_balance, currency, overdraft_limit, metadata, created_at) VALUES \
         ($1, $3, 'Cash USD', 'cash:USD', 'asset', 'debit', 'USD', NULL, '{\"system\": true}', now()), \
         ($2, $3, 'Withdrawal fee revenue USD', 'revenue:withdrawal_fees:USD', 'revenue', 'credit', 'USD', NULL, '{\"system\": true}', now())",
    )
    .bind::<SqlUuid, _>(cash)
    .bind::<SqlUuid, _>(revenue)
    .bind::<SqlUuid, _>(ledger)
    .execute(conn)?;
    sql_query("INSERT INTO account_balances (account_id, shard) SELECT a, 0 FROM unnest(ARRAY[$1, $2]::uuid[]) a")
        .bind::<SqlUuid, _>(cash)
        .bind::<SqlUuid, _>(revenue)
        .execute(conn)?;
    Ok(cash)
}

fn wallet_ids(conn: &mut PgConnection, ledger: Uuid) -> anyhow::Result<Vec<Uuid>> {
    let rows: Vec<IdRow> = sql_query("SELECT id FROM accounts WHERE ledger_id = $1 AND kind = 'liability' ORDER BY id")
        .bind::<SqlUuid, _>(ledger)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// A ledger with `wallets` wallets (limit 0), each opened with a posted deposit
/// of `opening` whole dollars from `cash:USD`.
pub fn wallet_ledger(
    conn: &mut PgConnection,
    name: &str,
    wallets: i32,
    opening: i32,
) -> anyhow::Result<(Uuid, Vec<Uuid>)> {
    let ledger = ledger(conn, name)?;
    let cash = house_accounts(conn, ledger)?;
    conn.transaction(|conn| -> anyhow::Result<()> {
        sql_query(
            "CREATE TEMP TABLE seed_w ON COMMIT DROP AS \
             SELECT gen_random_uuid() AS wid, gen_random_uuid() AS tid, i FROM generate_series(1, $1) i",
        )
        .bind::<Integer, _>(wallets)
        .execute(conn)?;
        sql_query(
            "INSERT INTO accounts (id, ledger_id, name, kind, normal_balance, currency, overdraft_limit, metadata, created_at) \
             SELECT wid, $1, 'wallet ' || i, 'liability', 'credit', 'USD', 0, '{}', now() FROM seed_w",
        )
        .bind::<SqlUuid, _>(ledger)
        .execute(conn)?;
        if opening > 0 {
            sql_query(
                "INSERT INTO transactions (id, ledger_id, status, metadata, effective_at, created_at, posted_at) \
                 SELECT tid, $1, 'posted', '{\"transaction_type\": \"deposit\"}', now(), now(), now() FROM seed_w",
            )
            .bind::<SqlUuid, _>(ledger)
            .execute(conn)?;
            sql_query(
                "INSERT INTO entries (transaction_id, line, account_id, direction, amount, currency, effective_at) \
                 SELECT tid, 0, $1, 'debit', $2, 'USD', now() FROM seed_w \
                 UNION ALL SELECT tid, 1, wid, 'credit', $2, 'USD', now() FROM seed_w",
            )
            .bind::<SqlUuid, _>(cash)
            .bind::<Integer, _>(opening)
            .execute(conn)?;
        }
        sql_query(
            "INSERT INTO account_balances (account_id, shard, posted_credits, version) \
             SELECT wid, 0, $1, CASE WHEN $1 > 0 THEN 1 ELSE 0 END FROM seed_w",
        )
        .bind::<Integer, _>(opening)
        .execute(conn)?;
        sql_query(
            "UPDATE account_balances SET posted_debits = $2::numeric * $3, version = CASE WHEN $3 > 0 THEN $2 ELSE 0 END \
             WHERE account_id = $1 AND shard = 0",
        )
        .bind::<SqlUuid, _>(cash)
        .bind::<Integer, _>(wallets)
        .bind::<Integer, _>(opening)
        .execute(conn)?;
        Ok(())
    })?;
    checkpoints(conn, ledger)?;
    sql_query("ANALYZE").execute(conn)?;
    Ok((ledger, wallet_ids(conn, ledger)?))
}

/// A ledger with one wallet that has `entries` posted deposits of 1.00 spread
/// evenly over the last 1000 days (so the wallet has that many entries).
pub fn hot_wallet(conn: &mut PgConnection, entries: i32) -> anyhow::Result<(Uuid, Uuid)> {
    let ledger = ledger(conn, "bench hot wallet")?;
    let cash = house_accounts(conn, ledger)?;
    let wallet = Uuid::now_v7();
    conn.transaction(|conn| -> anyhow::Result<()> {
        sql_query(
            "INSERT INTO accounts (id, ledger_id, name, kind, normal_balance, currency, overdraft_limit, metadata, created_at) \
             VALUES ($1, $2, 'hot wallet', 'liability', 'credit', 'USD', 0, '{}', now())",
        )
        .bind::<SqlUuid, _>(wallet)
        .bind::<SqlUuid, _>(ledger)
        .execute(conn)?;
        sql_query(
            "CREATE TEMP TABLE seed_h ON COMMIT DROP AS \
             SELECT gen_random_uuid() AS tid, now() - interval '1000 days' * (1 - i::numeric / $1) AS at \
             FROM generate_series(1, $1) i",
        )
        .bind::<Integer, _>(entries)
        .execute(conn)?;
        sql_query(
            "INSERT INTO transactions (id, ledger_id, status, metadata, effective_at, created_at, posted_at) \
             SELECT tid, $1, 'posted', '{}', at, now(), now() FROM seed_h",
        )
        .bind::<SqlUuid, _>(ledger)
        .execute(conn)?;
        sql_query(
            "INSERT INTO entries (transaction_id, line, account_id, direction, amount, currency, effective_at) \
             SELECT tid, 0, $1, 'debit', 1, 'USD', at FROM seed_h \
             UNION ALL SELECT tid, 1, $2, 'credit', 1, 'USD', at FROM seed_h",
        )
        .bind::<SqlUuid, _>(cash)
        .bind::<SqlUuid, _>(wallet)
        .execute(conn)?;
        sql_query("INSERT INTO account_balances (account_id, shard, posted_credits, version) VALUES ($1, 0, $2, $2)")
            .bind::<SqlUuid, _>(wallet)
            .bind::<Integer, _>(entries)
            .execute(conn)?;
        sql_query("UPDATE account_balances SET posted_debits = $2, version = $2 WHERE account_id = $1 AND shard = 0")
            .bind::<SqlUuid, _>(cash)
            .bind::<Integer, _>(entries)
            .execute(conn)?;
        Ok(())
    })?;
    checkpoints(conn, ledger)?;
    sql_query("ANALYZE").execute(conn)?;
    Ok((ledger, wallet))
}

/// The balance checkpoints (per account and effective day) of the seeded
/// entries, all posted, as the server's writes keep them.
fn checkpoints(conn: &mut PgConnection, ledger: Uuid) -> anyhow::Result<()> {
    sql_query(
        "INSERT INTO account_day_sums (account_id, day, posted_debits, posted_credits) \
         SELECT e.account_id, (e.effective_at AT TIME ZONE 'UTC')::date, \
                coalesce(sum(e.amount) FILTER (WHERE e.direction = 'debit'), 0), \
                coalesce(sum(e.amount) FILTER (WHERE e.direction = 'credit'), 0) \
         FROM entries e JOIN accounts a ON a.id = e.account_id WHERE a.ledger_id = $1 GROUP BY 1, 2",
    )
    .bind::<SqlUuid, _>(ledger)
    .execute(conn)?;
    Ok(())
}
