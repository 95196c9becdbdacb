//! Results: a JSON document and a markdown table.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::pgbench::PgbenchResult;
use crate::{fmt_ms, fmt_permille};

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub scenario: String,
    pub clients: usize,
    pub ok: u64,
    pub per_second: u64,
    pub p50_micros: u64,
    pub p99_micros: u64,
    pub errors: BTreeMap<String, u64>,
    /// pgbench transfers/s at the same client count.
    pub baseline_tps: u64,
    /// `per_second / baseline_tps`, in thousandths.
    pub ratio_permille: u64,
    pub server_peak_rss_kb: u64,
    /// `pg_stat_database.deadlocks` during the run.
    pub deadlocks: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub what: String,
    pub samples: usize,
    pub p50_micros: u64,
    pub p99_micros: u64,
    pub failures: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetCheck {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub date: String,
    pub machine: String,
    pub settings: BTreeMap<String, String>,
    pub baseline: Vec<PgbenchResult>,
    pub rows: Vec<Row>,
    pub latencies: Vec<Latency>,
    pub targets: Vec<TargetCheck>,
    pub invariants: String,
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("Benchmark of {} on {}.\n\n", self.date, self.machine));
        let settings: Vec<String> = self.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!("Settings: {}.\n\n", settings.join(", ")));
        out.push_str(
            "| scenario | clients | req/s | p50 ms | p99 ms | errors | deadlocks | pgbench tps | ratio | server peak RSS MB |\n",
        );
        out.push_str("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|\n");
        for b in &self.baseline {
            out.push_str(&format!(
                "| baseline: pgbench raw-SQL transfer | {} | {} | {} | {} | {} | – | {} | 1.000 | – |\n",
                b.clients,
                b.tps,
                fmt_ms(b.p50_micros),
                fmt_ms(b.p99_micros),
                if b.failed == 0 {
                    "–".to_owned()
                } else {
                    format!("failed: {}", b.failed)
                },
                b.tps
            ));
        }
        for r in &self.rows {
            let errors = if r.errors.is_empty() {
                "–".to_owned()
            } else {
                r.errors
                    .iter()
                    .map(|(k, n)| format!("{k}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                r.scenario,
                r.clients,
                r.per_second,
                fmt_ms(r.p50_micros),
                fmt_ms(r.p99_micros),
                errors,
                r.deadlocks,
                r.baseline_tps,
                fmt_permille(r.ratio_permille),
                r.server_peak_rss_kb / 1024
            ));
        }
        out.push_str("\n| latency | samples | p50 ms | p99 ms | failures |\n|---|---:|---:|---:|---:|\n");
        for l in &self.latencies {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                l.what,
                l.samples,
                fmt_ms(l.p50_micros),
                fmt_ms(l.p99_micros),
                l.failures
            ));
        }
        out.push_str("\n| target | measured | met |\n|---|---|---|\n");
        for t in &self.targets {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                t.target,
                t.measured,
                if t.met { "yes" } else { "**no**" }
            ));
        }
        out.push_str(&format!("\nInvariants after every scenario: {}.\n", self.invariants));
        out
    }
}
