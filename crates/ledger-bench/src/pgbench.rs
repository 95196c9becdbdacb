//! The raw-SQL ceiling: `pgbench -M prepared` running the equivalent ledger
//! transfer (lock two accounts in id order, check the balance, update both,
//! insert one transaction and two entries) against the same PostgreSQL.

use std::path::Path;
use std::process::Command;

use diesel::pg::PgConnection;
use diesel::{RunQueryDsl, sql_query};
use serde::Serialize;

pub const SCRIPT: &str = r"\set a random(1, 100000)
\set b random(1, 100000)
BEGIN;
SELECT id, balance FROM acct WHERE id IN (:a, :b) ORDER BY id FOR UPDATE;
UPDATE acct SET balance = balance - 1, version = version + 1 WHERE id = :a AND balance >= 1;
UPDATE acct SET balance = balance + 1, version = version + 1 WHERE id = :b;
INSERT INTO tx (created_at) VALUES (now()) RETURNING id \gset
INSERT INTO entry (tx_id, account_id, direction, amount) VALUES (:id, :a, 'debit', 1), (:id, :b, 'credit', 1);
END;
";

/// Tables of the baseline, in their own database.
pub fn setup(conn: &mut PgConnection) -> anyhow::Result<()> {
    for statement in [
        "DROP TABLE IF EXISTS entry, tx, acct",
        "CREATE TABLE acct (id integer PRIMARY KEY, balance numeric NOT NULL, version bigint NOT NULL DEFAULT 0)",
        "INSERT INTO acct (id, balance) SELECT g, 1000000 FROM generate_series(1, 100000) g",
        "CREATE TABLE tx (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL)",
        "CREATE TABLE entry (tx_id bigint NOT NULL REFERENCES tx, account_id integer NOT NULL REFERENCES acct, \
             direction text NOT NULL, amount numeric NOT NULL CHECK (amount > 0))",
        "CREATE INDEX entry_account ON entry (account_id)",
        "VACUUM ANALYZE acct",
    ] {
        sql_query(statement).execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PgbenchResult {
    pub clients: usize,
    pub tps: u64,
    pub p50_micros: u64,
    pub p99_micros: u64,
    pub failed: u64,
}

/// Runs pgbench with `clients` for `seconds`, per-transaction logs in `dir`.
pub fn run(db_url: &str, clients: usize, seconds: u64, dir: &Path) -> anyhow::Result<PgbenchResult> {
    let script = dir.join("transfer.sql");
    std::fs::write(&script, SCRIPT)?;
    for entry in std::fs::read_dir(dir)?.flatten() {
        if entry.file_name().to_string_lossy().starts_with("pgbench_log") {
            std::fs::remove_file(entry.path())?;
        }
    }
    let threads = clients.clamp(1, 2);
    let out = Command::new("pgbench")
        .current_dir(dir)
        .args(["-M", "prepared", "-n", "-l", "--log-prefix=pgbench_log"])
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            &threads.to_string(),
            "-T",
            &seconds.to_string(),
        ])
        .arg("-f")
        .arg(&script)
        .arg(db_url)
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "pgbench failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tps = stdout
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.trim_start_matches("tps = ").split(['.', ' ']).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let failed = stdout
        .lines()
        .find(|l| l.starts_with("number of failed transactions"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|n| n.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    // per-transaction log lines: client_id transaction_no time(µs) script_no epoch epoch_us
    let mut latencies: Vec<u64> = Vec::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        if entry.file_name().to_string_lossy().starts_with("pgbench_log") {
            for line in std::fs::read_to_string(entry.path())?.lines() {
                if let Some(us) = line.split_whitespace().nth(2).and_then(|v| v.parse().ok()) {
                    latencies.push(us);
                }
            }
            std::fs::remove_file(entry.path())?;
        }
    }
    latencies.sort_unstable();
    Ok(PgbenchResult {
        clients,
        tps,
        p50_micros: crate::percentile(&latencies, 50),
        p99_micros: crate::percentile(&latencies, 99),
        failed,
    })
}
