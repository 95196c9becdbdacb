//! `ledger-bench`: run by `scripts/bench.sh` (`make bench`) against a release
//! server it started. Configuration comes from environment variables set by the
//! script; results go to `bench/results/`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use diesel::{Connection, PgConnection};
use ledger_bench::load::{self, Scenario, Target};
use ledger_bench::report::{Latency, Report, Row, TargetCheck};
use ledger_bench::{checks, fmt_ms, fmt_permille, permille, pgbench, seed};
use uuid::Uuid;

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).map_err(|_| anyhow::anyhow!("{name} is not set (run `make bench`)"))
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn peak_rss_kb(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn latency(what: &str, latencies: &[u64], failures: u64) -> Latency {
    Latency {
        what: what.to_owned(),
        samples: latencies.len(),
        p50_micros: ledger_bench::percentile(latencies, 50),
        p99_micros: ledger_bench::percentile(latencies, 99),
        failures,
    }
}

/// One scenario at one client count, checked: every acknowledged posting
/// stored, every invariant holding; deadlocks counted by PostgreSQL.
async fn measure(
    conn: &mut PgConnection,
    target: &Target,
    scenario: Scenario,
    c: usize,
    duration: Duration,
    baseline: &BTreeMap<usize, ledger_bench::pgbench::PgbenchResult>,
    pid: &str,
) -> anyhow::Result<Row> {
    let ledger = target.ledger_id;
    let before = checks::transactions(conn, ledger)?;
    let deadlocks_before = checks::deadlocks(conn)?;
    let r = load::run(target, scenario, c, duration).await;
    let after = checks::transactions(conn, ledger)?;
    if scenario.writes() {
        let stored = u64::try_from(after - before).unwrap_or(0);
        anyhow::ensure!(
            stored == r.ok,
            "INVARIANT BROKEN after {} × {c}: {stored} transactions stored for {} acknowledged postings",
            scenario.label(),
            r.ok
        );
    }
    checks::ledger_invariants(conn, ledger)
        .map_err(|e| anyhow::anyhow!("INVARIANT BROKEN after {} × {c}: {e}", scenario.label()))?;
    let deadlocks = checks::deadlocks(conn)? - deadlocks_before;
    let base = baseline.get(&c).map(|b| b.tps).unwrap_or(0);
    let row = Row {
        scenario: scenario.label().to_owned(),
        clients: c,
        ok: r.ok,
        per_second: r.per_second(),
        p50_micros: r.percentile(50),
        p99_micros: r.percentile(99),
        errors: r.errors.clone(),
        baseline_tps: base,
        ratio_permille: permille(r.per_second(), base),
        server_peak_rss_kb: peak_rss_kb(pid),
        deadlocks,
    };
    eprintln!(
        "{} × {c}: {}/s p50 {} ms p99 {} ms errors {:?} ratio {} deadlocks {deadlocks}",
        row.scenario,
        row.per_second,
        fmt_ms(row.p50_micros),
        fmt_ms(row.p99_micros),
        row.errors,
        fmt_permille(row.ratio_permille)
    );
    Ok(row)
}

async fn bench() -> anyhow::Result<()> {
    let server = env("BENCH_SERVER_URL")?;
    let api_key = env("BENCH_API_KEY")?;
    let db_url = env("BENCH_DATABASE_URL")?;
    let pgbench_url = env("BENCH_PGBENCH_URL")?;
    let pid = env("BENCH_SERVER_PID")?;
    let seconds: u64 = env_or("BENCH_SECONDS", 8);
    let clients: Vec<usize> = env_or("BENCH_CLIENTS", "1,4,16,64".to_owned())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let wallets: i32 = env_or("BENCH_WALLETS", 100_000);
    let hot_entries: i32 = env_or("BENCH_HOT_ENTRIES", 1_000_000);
    let large_accounts: i32 = env_or("BENCH_LARGE_ACCOUNTS", 1_000_000);
    let out_dir = PathBuf::from(env_or("BENCH_OUT", "bench/results".to_owned()));
    std::fs::create_dir_all(&out_dir)?;
    let duration = Duration::from_secs(seconds);

    let mut conn = PgConnection::establish(&db_url)?;
    eprintln!(
        "seeding {wallets} wallets, a wallet with {hot_entries} entries, ledgers of 1,000 and {large_accounts} accounts…"
    );
    let (ledger, wallet_ids) = seed::wallet_ledger(&mut conn, "bench wallets", wallets, 1_000_000)?;
    let (hot_ledger, hot_wallet) = seed::hot_wallet(&mut conn, hot_entries)?;
    let (small_ledger, small_wallets) = seed::wallet_ledger(&mut conn, "bench 1k accounts", 1_000, 1_000)?;
    let (large_ledger, large_wallets) = seed::wallet_ledger(&mut conn, "bench large", large_accounts, 0)?;
    checks::ledger_invariants(&mut conn, ledger)?;

    let mut pg = PgConnection::establish(&pgbench_url)?;
    pgbench::setup(&mut pg)?;
    let work = std::env::temp_dir().join(format!("ledger-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let mut baseline = BTreeMap::new();
    for &c in &clients {
        eprintln!("pgbench baseline, {c} clients…");
        let r = pgbench::run(&pgbench_url, c, seconds, &work)?;
        baseline.insert(c, r);
    }

    let target = Target {
        base_urls: vec![server.clone()],
        api_key: api_key.clone(),
        ledger_id: ledger,
        wallets: wallet_ids,
    };
    let mut rows = Vec::new();
    for scenario in [
        Scenario::Transfers,
        Scenario::Deposits,
        Scenario::Withdrawals,
        Scenario::Mix,
        Scenario::ReadWallet,
    ] {
        for &c in &clients {
            rows.push(measure(&mut conn, &target, scenario, c, duration, &baseline, &pid).await?);
        }
    }
    // (h) one hot wallet, (i) ping-pong between two, (j) the mix on three
    // server processes: contention, at the higher client counts
    let extra: Vec<String> = env_or("BENCH_EXTRA_SERVER_URLS", String::new())
        .split(',')
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    let pair: Vec<Uuid> = target.wallets.iter().take(2).copied().collect();
    let contended: Vec<usize> = clients.iter().copied().filter(|c| *c >= 16).collect();
    for (scenario, wallets, urls) in [
        (Scenario::HotWallet, target.wallets.clone(), vec![server.clone()]),
        (Scenario::PingPong, pair, vec![server.clone()]),
        (
            Scenario::MixThreeServers,
            target.wallets.clone(),
            std::iter::once(server.clone()).chain(extra.iter().cloned()).collect(),
        ),
    ] {
        if scenario == Scenario::MixThreeServers && extra.is_empty() {
            continue;
        }
        let t = Target {
            base_urls: urls,
            wallets,
            ..target.clone()
        };
        for &c in &contended {
            rows.push(measure(&mut conn, &t, scenario, c, duration, &baseline, &pid).await?);
        }
    }

    // (f) balance reads on an account with many entries
    let mut latencies = Vec::new();
    let recent = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let deep = (chrono::Utc::now() - chrono::Duration::days(500)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for (what, path, n) in [
        (
            format!("f balance, wallet with {hot_entries} entries"),
            format!("/v1/accounts/{hot_wallet}"),
            200,
        ),
        (
            format!("f as-of 1 h ago, wallet with {hot_entries} entries"),
            format!("/v1/accounts/{hot_wallet}?as_of={recent}"),
            200,
        ),
        (
            format!("f as-of 500 days ago (half the history), {hot_entries} entries"),
            format!("/v1/accounts/{hot_wallet}?as_of={deep}"),
            20,
        ),
    ] {
        let (l, failures) = load::sequential_gets(&server, &api_key, &path, n).await;
        latencies.push(latency(&what, &l, failures));
    }
    checks::ledger_invariants(&mut conn, hot_ledger)?;

    // (g) posting latency vs ledger size: one client, deposits
    let mut size_p50 = Vec::new();
    for (label, l, ws) in [
        ("1,000", small_ledger, small_wallets),
        ("large", large_ledger, large_wallets),
    ] {
        let t = Target {
            base_urls: vec![server.clone()],
            api_key: api_key.clone(),
            ledger_id: l,
            wallets: ws,
        };
        let r = load::run(&t, Scenario::Deposits, 1, duration).await;
        checks::ledger_invariants(&mut conn, l)?;
        let what = if label == "large" {
            format!("g deposit, ledger of {large_accounts} accounts")
        } else {
            "g deposit, ledger of 1,000 accounts".to_owned()
        };
        latencies.push(latency(&what, &r.latencies, r.error_count()));
        size_p50.push(r.percentile(50));
    }

    // targets
    let row = |s: &str, c: usize| rows.iter().find(|r| r.scenario.starts_with(s) && r.clients == c);
    let mut targets = Vec::new();
    for (c, at_least) in [(16, 1000), (64, 1500)] {
        if let Some(r) = row("a", c) {
            targets.push(TargetCheck {
                target: format!("(a) ≥ {}× pgbench at {c} clients", fmt_permille(at_least)),
                measured: fmt_permille(r.ratio_permille),
                met: r.ratio_permille >= at_least,
            });
        }
    }
    if let Some(a) = row("a", 64) {
        for s in ["b", "c", "h", "i"] {
            if let Some(r) = row(s, 64) {
                let p = permille(r.per_second, a.per_second);
                targets.push(TargetCheck {
                    target: format!("({s}) ≥ 0.8× (a) at 64 clients"),
                    measured: fmt_permille(p),
                    met: p >= 800,
                });
            }
        }
        targets.push(TargetCheck {
            target: "(a) p99 at 64 clients ≤ 50 ms".into(),
            measured: format!("{} ms", fmt_ms(a.p99_micros)),
            met: a.p99_micros <= 50_000,
        });
    }
    let deadlocks: i64 = rows.iter().map(|r| r.deadlocks).sum();
    targets.push(TargetCheck {
        target: "zero deadlocks in every scenario".into(),
        measured: deadlocks.to_string(),
        met: deadlocks == 0,
    });
    if let Some(r) = row("e", 16) {
        targets.push(TargetCheck {
            target: "(e) ≥ 5,000 reads/s at 16 clients".into(),
            measured: r.per_second.to_string(),
            met: r.per_second >= 5000,
        });
    }
    for l in latencies.iter().filter(|l| l.what.starts_with("f ")) {
        targets.push(TargetCheck {
            target: format!("{} ≤ 20 ms (p50)", l.what),
            measured: format!("{} ms", fmt_ms(l.p50_micros)),
            met: l.p50_micros <= 20_000,
        });
    }
    if let [small, large] = size_p50[..] {
        let p = permille(large, small.max(1));
        targets.push(TargetCheck {
            target: "(g) p50 within 20% between 1,000 and 1,000,000 accounts".into(),
            measured: format!("{} ms vs {} ms ({})", fmt_ms(small), fmt_ms(large), fmt_permille(p)),
            met: (800..=1200).contains(&p),
        });
    }
    let rss = peak_rss_kb(&pid);
    targets.push(TargetCheck {
        target: "server peak RSS ≤ 150 MB".into(),
        measured: format!("{} MB", rss / 1024),
        met: rss <= 150 * 1024,
    });

    let now = chrono::Utc::now();
    let mut settings = BTreeMap::new();
    settings.insert("seconds_per_run".into(), seconds.to_string());
    settings.insert("wallets".into(), wallets.to_string());
    settings.insert("db_pool".into(), env_or("DB_POOL_SIZE", "?".to_owned()));
    settings.insert("http_workers".into(), env_or("HTTP_WORKERS", "?".to_owned()));
    settings.insert("amount".into(), "1.00 USD".into());
    let report = Report {
        date: now.format("%Y-%m-%d %H:%M UTC").to_string(),
        machine: env_or("BENCH_MACHINE", "unknown".to_owned()),
        settings,
        baseline: baseline.into_values().collect(),
        rows,
        latencies,
        targets,
        invariants: "held (trial balance zero, no account below its limit, stored postings = 2xx responses, counters = sums of entries and of the checkpoints)".into(),
    };
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    std::fs::write(
        out_dir.join(format!("{stamp}.json")),
        serde_json::to_string_pretty(&report)?,
    )?;
    std::fs::write(out_dir.join(format!("{stamp}.md")), report.markdown())?;
    std::fs::write(out_dir.join("latest.md"), report.markdown())?;
    println!("{}", report.markdown());
    Ok(())
}

fn main() -> anyhow::Result<()> {
    actix_rt::System::new().block_on(bench())
}
