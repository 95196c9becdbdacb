//! The benchmark harness behind `make bench`: an HTTP load generator
//! (keep-alive, N concurrent clients), bulk fixtures, the pgbench baseline and
//! the invariant checks run after every scenario.
//!
//! No floats: rates are integers per second, latencies integer microseconds,
//! ratios integer thousandths.

pub mod checks;
pub mod load;
pub mod pgbench;
pub mod report;
pub mod seed;

/// The `p`th percentile (nearest rank below) of sorted latencies; 0 when empty.
pub fn percentile(sorted: &[u64], p: usize) -> u64 {
    sorted
        .get(sorted.len().saturating_sub(1).saturating_mul(p) / 100)
        .copied()
        .unwrap_or(0)
}

/// `a / b` in thousandths (0 when `b` is 0).
pub fn permille(a: u64, b: u64) -> u64 {
    a.saturating_mul(1000).checked_div(b).unwrap_or(0)
}

/// Thousandths as `0.853`.
pub fn fmt_permille(p: u64) -> String {
    format!("{}.{:03}", p / 1000, p % 1000)
}

/// Microseconds as milliseconds with one decimal: `12.3`.
pub fn fmt_ms(micros: u64) -> String {
    format!("{}.{}", micros / 1000, (micros % 1000) / 100)
}
