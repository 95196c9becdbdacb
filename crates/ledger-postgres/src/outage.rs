//! A database outage is logged as one condition, not once per failed
//! connection attempt: the first failure at ERROR, then at most one reminder
//! every ten seconds with the count, and one line when a connection succeeds
//! again. The counts go to `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REMIND_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
struct Streak {
    /// When the current outage began (`None`: reachable).
    since: Option<Instant>,
    failures: u64,
    last_log: Option<Instant>,
}

/// What one pool has seen of the database's availability; shared by the
/// pool's error handler and its connection customizer, and read by whoever
/// renders metrics (the composition root hands it over).
#[derive(Debug, Default)]
pub struct Outage {
    streak: Mutex<Streak>,
    failures: AtomicU64,
    outages: AtomicU64,
}

impl Outage {
    /// Failed attempts to open a database connection, and outages (streaks of
    /// them ended by a success), since the pool was built.
    pub fn counters(&self) -> [(&'static str, &'static str, u64); 2] {
        [
            (
                "wallet_ledger_database_connect_failures_total",
                "Failed attempts to open a database connection.",
                self.failures.load(Ordering::Relaxed),
            ),
            (
                "wallet_ledger_database_outages_total",
                "Database outages: streaks of failed connection attempts ended by a success.",
                self.outages.load(Ordering::Relaxed),
            ),
        ]
    }

    /// A connection attempt failed.
    pub(crate) fn failed(&self, error: &dyn std::fmt::Display) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let mut s = self.streak.lock().unwrap_or_else(|p| p.into_inner());
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
    pub(crate) fn reached(&self) {
        let mut s = self.streak.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(since) = s.since.take() {
            self.outages.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                failures = s.failures,
                down_for_ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX),
                "database reachable again"
            );
            s.failures = 0;
            s.last_log = None;
        }
    }
}

/// r2d2's error handler: each failed connection attempt.
#[derive(Debug)]
pub(crate) struct PoolErrors(pub(crate) Arc<Outage>);

impl diesel::r2d2::HandleError<diesel::r2d2::Error> for PoolErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        self.0.failed(&error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(o: &Outage, name: &str) -> u64 {
        o.counters()
            .iter()
            .find(|(n, _, _)| *n == name)
            .map_or(u64::MAX, |c| c.2)
    }

    #[test]
    fn failures_count_one_by_one_and_an_outage_ends_at_the_first_success() {
        let o = Outage::default();
        o.reached(); // up from the start: no outage
        for _ in 0..3 {
            o.failed(&"connection refused");
        }
        assert_eq!(value(&o, "wallet_ledger_database_connect_failures_total"), 3);
        assert_eq!(value(&o, "wallet_ledger_database_outages_total"), 0);
        o.reached();
        o.reached();
        assert_eq!(value(&o, "wallet_ledger_database_outages_total"), 1);
        o.failed(&"connection refused");
        o.reached();
        assert_eq!(value(&o, "wallet_ledger_database_outages_total"), 2);
        assert_eq!(value(&o, "wallet_ledger_database_connect_failures_total"), 4);
    }
}
