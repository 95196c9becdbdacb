//! A database outage is logged as one condition, not once per failed
//! connection attempt: the first failure at ERROR, then at most one reminder
//! every ten seconds with the count, and one line when a connection succeeds
//! again. The counts are process-wide (so is the log) and go to `/metrics`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const REMIND_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
struct Streak {
    /// When the current outage began (`None`: reachable).
    since: Option<Instant>,
    failures: u64,
    last_log: Option<Instant>,
}

static STREAK: Mutex<Streak> = Mutex::new(Streak {
    since: None,
    failures: 0,
    last_log: None,
});
static FAILURES: AtomicU64 = AtomicU64::new(0);
static OUTAGES: AtomicU64 = AtomicU64::new(0);

/// Failed attempts to open a database connection, and outages (streaks of
/// them), since the process started.
pub fn counters() -> [(&'static str, &'static str, u64); 2] {
    [
        (
            "wallet_ledger_database_connect_failures_total",
            "Failed attempts to open a database connection.",
            FAILURES.load(Ordering::Relaxed),
        ),
        (
            "wallet_ledger_database_outages_total",
            "Database outages: streaks of failed connection attempts ended by a success.",
            OUTAGES.load(Ordering::Relaxed),
        ),
    ]
}

/// A connection attempt failed.
pub(crate) fn failed(error: &dyn std::fmt::Display) {
    FAILURES.fetch_add(1, Ordering::Relaxed);
    let mut s = STREAK.lock().unwrap_or_else(|p| p.into_inner());
    s.failures += 1;
    let now = Instant::now();
    match s.since {
        None => {
            s.since = Some(now);
            s.last_log = Some(now);
            tracing::error!(%error, "database unreachable; requests are answered 503 until it is back");
        }
        Some(since) if s.last_log.is_none_or(|l| now.duration_since(l) >= REMIND_EVERY) => {
            s.last_log = Some(now);
            tracing::warn!(
                failures = s.failures,
                down_for_ms = u64::try_from(now.duration_since(since).as_millis()).unwrap_or(u64::MAX),
                %error,
                "database still unreachable"
            );
        }
        Some(_) => {}
    }
}

/// A connection was opened.
pub(crate) fn reached() {
    let mut s = STREAK.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(since) = s.since.take() {
        OUTAGES.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            failures = s.failures,
            down_for_ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX),
            "database reachable again"
        );
        s.failures = 0;
        s.last_log = None;
    }
}

/// r2d2's error handler: each failed connection attempt.
#[derive(Debug)]
pub(crate) struct PoolErrors;

impl diesel::r2d2::HandleError<diesel::r2d2::Error> for PoolErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        failed(&error);
    }
}
