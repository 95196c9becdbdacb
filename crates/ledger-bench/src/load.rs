//! The load generator: `clients` concurrent keep-alive HTTP clients, each
//! sending its next request as soon as the previous one answered, for a fixed
//! time.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rand::Rng;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// (a) transfers between random wallets
    Transfers,
    /// (b) deposits into random wallets (all touch the one cash account)
    Deposits,
    /// (c) withdrawals (cash and fee revenue)
    Withdrawals,
    /// (d) 70% transfers, 20% deposits, 10% withdrawals
    Mix,
    /// (e) GET of a wallet with its balances
    ReadWallet,
    /// (h) every client pays into and out of one wallet (limit 0): transfers
    /// between it (the target's first wallet) and random others, both ways
    HotWallet,
    /// (i) transfers between two wallets in both directions (a target of two wallets)
    PingPong,
    /// (j) the mix (d) spread over three server processes on one database
    MixThreeServers,
}

impl Scenario {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Transfers => "a transfers",
            Self::Deposits => "b deposits",
            Self::Withdrawals => "c withdrawals",
            Self::Mix => "d mix 70/20/10",
            Self::ReadWallet => "e GET wallet",
            Self::HotWallet => "h hot wallet",
            Self::PingPong => "i ping-pong, 2 wallets",
            Self::MixThreeServers => "j mix, 3 servers",
        }
    }

    pub fn writes(&self) -> bool {
        !matches!(self, Self::ReadWallet)
    }
}

/// Where to send requests and what exists there.
#[derive(Debug, Clone)]
pub struct Target {
    /// Client `i` talks to `base_urls[i % len]`.
    pub base_urls: Vec<String>,
    pub api_key: String,
    pub ledger_id: Uuid,
    pub wallets: Vec<Uuid>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadResult {
    /// Requests answered 2xx.
    pub ok: u64,
    /// Everything else, by problem type (or `http_<status>`, `transport`).
    pub errors: BTreeMap<String, u64>,
    pub elapsed_micros: u64,
    /// Per-request latencies in microseconds, sorted.
    #[serde(skip)]
    pub latencies: Vec<u64>,
}

impl LoadResult {
    pub fn per_second(&self) -> u64 {
        self.ok.saturating_mul(1_000_000) / self.elapsed_micros.max(1)
    }

    pub fn percentile(&self, p: usize) -> u64 {
        crate::percentile(&self.latencies, p)
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

fn body(scenario: Scenario, target: &Target, rng: &mut impl Rng) -> (&'static str, Option<serde_json::Value>, String) {
    let pick = |rng: &mut dyn rand::RngCore| {
        let i = rng.random_range(0..target.wallets.len());
        target.wallets.get(i).copied().unwrap_or_default()
    };
    let ledger = target.ledger_id;
    if scenario == Scenario::HotWallet {
        let hot = target.wallets.first().copied().unwrap_or_default();
        let mut other = pick(rng);
        while other == hot && target.wallets.len() > 1 {
            other = pick(rng);
        }
        let (from, to) = if rng.random_bool(0.5) {
            (hot, other)
        } else {
            (other, hot)
        };
        let b = json!({"ledger_id": ledger, "from_wallet_id": from, "to_wallet_id": to, "amount": "1.00", "currency": "USD"});
        return ("POST", Some(b), "/v1/transfers".to_owned());
    }
    let which = match scenario {
        Scenario::Mix | Scenario::MixThreeServers => match rng.random_range(0..10u8) {
            0..=6 => Scenario::Transfers,
            7..=8 => Scenario::Deposits,
            _ => Scenario::Withdrawals,
        },
        Scenario::PingPong => Scenario::Transfers,
        other => other,
    };
    match which {
        Scenario::Transfers => {
            let from = pick(rng);
            let mut to = pick(rng);
            while to == from && target.wallets.len() > 1 {
                to = pick(rng);
            }
            let b = json!({"ledger_id": ledger, "from_wallet_id": from, "to_wallet_id": to, "amount": "1.00", "currency": "USD"});
            ("POST", Some(b), "/v1/transfers".to_owned())
        }
        Scenario::Deposits => {
            let b = json!({"ledger_id": ledger, "wallet_id": pick(rng), "amount": "1.00", "currency": "USD"});
            ("POST", Some(b), "/v1/deposits".to_owned())
        }
        Scenario::Withdrawals => {
            let b = json!({"ledger_id": ledger, "wallet_id": pick(rng), "amount": "1.00", "currency": "USD"});
            ("POST", Some(b), "/v1/withdrawals".to_owned())
        }
        _ => ("GET", None, format!("/v1/accounts/{}", pick(rng))),
    }
}

async fn client_loop(
    client: awc::Client,
    target: Target,
    base_url: String,
    scenario: Scenario,
    until: Instant,
) -> LoadResult {
    let mut rng = rand::rng();
    let mut result = LoadResult::default();
    while Instant::now() < until {
        let (method, payload, path) = body(scenario, &target, &mut rng);
        let url = format!("{base_url}{path}");
        let started = Instant::now();
        let req = if method == "POST" {
            client.post(url)
        } else {
            client.get(url)
        }
        .insert_header(("Authorization", format!("Bearer {}", target.api_key)));
        let sent = match payload {
            Some(p) => req.send_json(&p).await,
            None => req.send().await,
        };
        let kind = match sent {
            Ok(mut res) => {
                let status = res.status();
                let bytes = res.body().limit(1 << 20).await.unwrap_or_default();
                if status.is_success() {
                    None
                } else {
                    let problem: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                    Some(
                        problem
                            .get("type")
                            .and_then(|t| t.as_str())
                            .map(str::to_owned)
                            .unwrap_or_else(|| format!("http_{}", status.as_u16())),
                    )
                }
            }
            Err(_) => Some("transport".to_owned()),
        };
        result
            .latencies
            .push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
        match kind {
            None => result.ok += 1,
            Some(k) => *result.errors.entry(k).or_default() += 1,
        }
    }
    result
}

/// Runs one scenario with `clients` concurrent clients for `duration`.
pub async fn run(target: &Target, scenario: Scenario, clients: usize, duration: Duration) -> LoadResult {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .connector(awc::Connector::new().limit(clients.saturating_add(4)))
        .finish();
    let started = Instant::now();
    let until = started + duration;
    let results = futures_util::future::join_all((0..clients).map(|i| {
        let base_url = target
            .base_urls
            .get(i % target.base_urls.len().max(1))
            .cloned()
            .unwrap_or_default();
        client_loop(client.clone(), target.clone(), base_url, scenario, until)
    }))
    .await;
    let mut total = LoadResult {
        elapsed_micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        ..LoadResult::default()
    };
    for r in results {
        total.ok += r.ok;
        for (k, n) in r.errors {
            *total.errors.entry(k).or_default() += n;
        }
        total.latencies.extend(r.latencies);
    }
    total.latencies.sort_unstable();
    total
}

/// `n` sequential GETs of `path`; returns sorted latencies (µs) and failures.
pub async fn sequential_gets(base_url: &str, api_key: &str, path: &str, n: usize) -> (Vec<u64>, u64) {
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    let mut latencies = Vec::with_capacity(n);
    let mut failures = 0;
    for _ in 0..n {
        let started = Instant::now();
        let ok = match client
            .get(format!("{base_url}{path}"))
            .insert_header(("Authorization", format!("Bearer {api_key}")))
            .send()
            .await
        {
            Ok(mut res) => {
                let _ = res.body().limit(1 << 20).await;
                res.status().is_success()
            }
            Err(_) => false,
        };
        latencies.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
        if !ok {
            failures += 1;
        }
    }
    latencies.sort_unstable();
    (latencies, failures)
}
