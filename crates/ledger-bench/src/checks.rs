//! Invariants checked after every scenario, straight from the tables.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use uuid::Uuid;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Offender {
    #[diesel(sql_type = Text)]
    what: String,
}

fn count(conn: &mut PgConnection, sql: &str, ledger: Uuid) -> anyhow::Result<i64> {
    let rows: Vec<Count> = sql_query(sql).bind::<SqlUuid, _>(ledger).load(conn)?;
    Ok(rows.first().map(|r| r.n).unwrap_or(0))
}

/// PostgreSQL's count of deadlocks detected in this database. Backends
/// report their statistics when they go idle (at most once a second), so
/// this waits a little for the ones of the run just ended.
pub fn deadlocks(conn: &mut PgConnection) -> anyhow::Result<i64> {
    std::thread::sleep(std::time::Duration::from_millis(1500));
    sql_query("SELECT pg_stat_clear_snapshot()").execute(conn)?;
    let rows: Vec<Count> =
        sql_query("SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()").load(conn)?;
    Ok(rows.first().map(|r| r.n).unwrap_or(0))
}

pub fn transactions(conn: &mut PgConnection, ledger: Uuid) -> anyhow::Result<i64> {
    count(
        conn,
        "SELECT count(*) AS n FROM transactions WHERE ledger_id = $1",
        ledger,
    )
}

fn offenders(conn: &mut PgConnection, sql: &str, ledger: Uuid) -> anyhow::Result<Vec<String>> {
    let rows: Vec<Offender> = sql_query(sql).bind::<SqlUuid, _>(ledger).load(conn)?;
    Ok(rows.into_iter().map(|r| r.what).collect())
}

/// Trial balance zero per currency; no account below its floor; every
/// account's counters equal the sums of its entries and of its checkpoints.
pub fn ledger_invariants(conn: &mut PgConnection, ledger: Uuid) -> anyhow::Result<()> {
    // whole-table aggregates: hash joins. With statistics that lag the load
    // just run, the planner once chose a nested loop over 100,000 × 100,000.
    sql_query("SET enable_nestloop = off").execute(conn)?;
    let trial = offenders(
        conn,
        "SELECT a.currency || ' posted ' || sum(b.posted_debits) || '/' || sum(b.posted_credits) \
                || ' pending ' || sum(b.pending_debits) || '/' || sum(b.pending_credits) AS what \
         FROM account_balances b JOIN accounts a ON a.id = b.account_id WHERE a.ledger_id = $1 \
         GROUP BY a.currency \
         HAVING sum(b.posted_debits) <> sum(b.posted_credits) OR sum(b.pending_debits) <> sum(b.pending_credits)",
        ledger,
    )?;
    anyhow::ensure!(trial.is_empty(), "trial balance is not zero: {trial:?}");
    let below = offenders(
        conn,
        "SELECT a.id::text AS what FROM accounts a JOIN ( \
             SELECT account_id, sum(posted_debits) pd, sum(posted_credits) pc, sum(pending_debits) qd, sum(pending_credits) qc \
             FROM account_balances GROUP BY account_id) b ON b.account_id = a.id \
         WHERE a.ledger_id = $1 AND a.overdraft_limit IS NOT NULL AND ( \
             (a.normal_balance = 'credit' AND b.pc - b.pd - b.qd < -a.overdraft_limit) OR \
             (a.normal_balance = 'debit' AND b.pd - b.pc - b.qc < -a.overdraft_limit)) LIMIT 5",
        ledger,
    )?;
    anyhow::ensure!(below.is_empty(), "accounts below their limit: {below:?}");
    let drift = offenders(
        conn,
        "WITH sums AS ( \
             SELECT e.account_id, \
                 coalesce(sum(e.amount) FILTER (WHERE t.status = 'posted' AND e.direction = 'debit'), 0) pd, \
                 coalesce(sum(e.amount) FILTER (WHERE t.status = 'posted' AND e.direction = 'credit'), 0) pc, \
                 coalesce(sum(e.amount) FILTER (WHERE t.status = 'pending' AND e.direction = 'debit'), 0) qd, \
                 coalesce(sum(e.amount) FILTER (WHERE t.status = 'pending' AND e.direction = 'credit'), 0) qc \
             FROM entries e JOIN transactions t ON t.id = e.transaction_id WHERE t.ledger_id = $1 GROUP BY e.account_id), \
         counters AS ( \
             SELECT b.account_id, sum(b.posted_debits) pd, sum(b.posted_credits) pc, sum(b.pending_debits) qd, sum(b.pending_credits) qc \
             FROM account_balances b JOIN accounts a ON a.id = b.account_id WHERE a.ledger_id = $1 GROUP BY b.account_id) \
         SELECT c.account_id::text AS what FROM counters c LEFT JOIN sums s ON s.account_id = c.account_id \
         WHERE (c.pd, c.pc, c.qd, c.qc) IS DISTINCT FROM (coalesce(s.pd, 0), coalesce(s.pc, 0), coalesce(s.qd, 0), coalesce(s.qc, 0)) \
         LIMIT 5",
        ledger,
    )?;
    anyhow::ensure!(drift.is_empty(), "counters differ from the sums of entries: {drift:?}");
    let checkpoints = offenders(
        conn,
        "WITH days AS ( \
             SELECT d.account_id, sum(d.posted_debits) pd, sum(d.posted_credits) pc, sum(d.pending_debits) qd, sum(d.pending_credits) qc \
             FROM account_day_sums d JOIN accounts a ON a.id = d.account_id WHERE a.ledger_id = $1 GROUP BY d.account_id), \
         counters AS ( \
             SELECT b.account_id, b.posted_debits pd, b.posted_credits pc, b.pending_debits qd, b.pending_credits qc \
             FROM account_balances b JOIN accounts a ON a.id = b.account_id WHERE a.ledger_id = $1) \
         SELECT c.account_id::text AS what FROM counters c LEFT JOIN days d ON d.account_id = c.account_id \
         WHERE (c.pd, c.pc, c.qd, c.qc) IS DISTINCT FROM (coalesce(d.pd, 0), coalesce(d.pc, 0), coalesce(d.qd, 0), coalesce(d.qc, 0)) \
         LIMIT 5",
        ledger,
    )?;
    anyhow::ensure!(
        checkpoints.is_empty(),
        "checkpoints differ from the counters: {checkpoints:?}"
    );
    Ok(())
}
