//! Configuration from environment variables, passed explicitly (no globals).

use std::fmt;

/// A value that must never be printed (it may hold a password).
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`
    pub database_url: Secret,
    /// `BIND_ADDRESS`, default `127.0.0.1:8080`
    pub bind_address: String,
    /// `DB_POOL_SIZE`, default 16
    pub pool_size: u32,
    /// `DB_CONNECT_TIMEOUT_MS`, default 1000: how long a request waits for a
    /// database connection before its 503
    pub connect_timeout: std::time::Duration,
    /// `HTTP_WORKERS`, default: one per core
    pub workers: Option<usize>,
    /// `LOG_FORMAT`: `json` or `pretty` (default)
    pub log_format: LogFormat,
    /// `POSTING_WORKERS` (one per core), `POSTING_MAX_BATCH` (256), `POSTING_LINGER_MICROS` (0):
    /// how postings are grouped into batches (group commit)
    pub pipeline: ledger_postgres::PipelineConfig,
    /// `RATE_LIMIT_PER_SECOND` (0: off) and `RATE_LIMIT_BURST` (twice the
    /// rate): requests per API key, answered 429 with `Retry-After` beyond
    pub rate_limit: (u32, u32),
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let database_url = var("DATABASE_URL")
            .ok_or_else(|| anyhow::anyhow!("DATABASE_URL is not set (make run sets it for the private cluster)"))?;
        let pool_size = match var("DB_POOL_SIZE") {
            Some(v) => v
                .parse()
                .map_err(|_| anyhow::anyhow!("DB_POOL_SIZE must be a positive integer"))?,
            None => 16,
        };
        let workers = var("HTTP_WORKERS")
            .map(|v| {
                v.parse()
                    .map_err(|_| anyhow::anyhow!("HTTP_WORKERS must be a positive integer"))
            })
            .transpose()?;
        let log_format = match var("LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => anyhow::bail!("LOG_FORMAT must be `json` or `pretty`, not `{other}`"),
        };
        let number = |name: &str, default: u64| -> anyhow::Result<u64> {
            var(name).map_or(Ok(default), |v| {
                v.parse()
                    .map_err(|_| anyhow::anyhow!("{name} must be a non-negative integer"))
            })
        };
        let defaults = ledger_postgres::PipelineConfig::default();
        let pipeline = ledger_postgres::PipelineConfig {
            workers: usize::try_from(number("POSTING_WORKERS", u64::try_from(defaults.workers).unwrap_or(4))?)?.max(1),
            max_batch: usize::try_from(number(
                "POSTING_MAX_BATCH",
                u64::try_from(defaults.max_batch).unwrap_or(256),
            )?)?
            .clamp(1, 4096),
            linger: std::time::Duration::from_micros(number("POSTING_LINGER_MICROS", 0)?.min(100_000)),
        };
        let connect_timeout = std::time::Duration::from_millis(
            number(
                "DB_CONNECT_TIMEOUT_MS",
                u64::try_from(ledger_postgres::CONNECT_TIMEOUT.as_millis()).unwrap_or(1000),
            )?
            .clamp(10, 60_000),
        );
        let per_second = u32::try_from(number("RATE_LIMIT_PER_SECOND", 0)?.min(1_000_000))?;
        let burst = u32::try_from(number("RATE_LIMIT_BURST", u64::from(per_second) * 2)?.min(10_000_000))?;
        Ok(Self {
            rate_limit: (per_second, burst),
            connect_timeout,
            pipeline,
            database_url: Secret(database_url),
            bind_address: var("BIND_ADDRESS").unwrap_or_else(|| "127.0.0.1:8080".to_owned()),
            pool_size,
            workers,
            log_format,
        })
    }
}
