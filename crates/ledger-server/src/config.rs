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
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The configuration from `lookup` (the environment, or a test's table).
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
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
        // a whole number in `range`, or a clear error naming the variable
        let number = |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| -> anyhow::Result<u64> {
            let Some(text) = var(name) else { return Ok(default) };
            text.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{name} must be a whole number from {} to {}, not `{text}`",
                        range.start(),
                        range.end()
                    )
                })
        };
        let defaults = ledger_postgres::PipelineConfig::default();
        let pipeline = ledger_postgres::PipelineConfig {
            workers: usize::try_from(number(
                "POSTING_WORKERS",
                u64::try_from(defaults.workers).unwrap_or(2),
                1..=64,
            )?)?,
            max_batch: usize::try_from(number(
                "POSTING_MAX_BATCH",
                u64::try_from(defaults.max_batch).unwrap_or(256),
                1..=4096,
            )?)?,
            linger: std::time::Duration::from_micros(number("POSTING_LINGER_MICROS", 0, 0..=100_000)?),
        };
        let connect_timeout = std::time::Duration::from_millis(number(
            "DB_CONNECT_TIMEOUT_MS",
            u64::try_from(ledger_postgres::CONNECT_TIMEOUT.as_millis()).unwrap_or(1000),
            10..=60_000,
        )?);
        let per_second = u32::try_from(number("RATE_LIMIT_PER_SECOND", 0, 0..=1_000_000)?)?;
        let burst = u32::try_from(number("RATE_LIMIT_BURST", u64::from(per_second) * 2, 1..=10_000_000)?)?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let table: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(move |name| {
            std::iter::once(("DATABASE_URL".to_owned(), "postgres://x/y".to_owned()))
                .chain(table.iter().cloned())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v)
        })
    }

    #[test]
    fn defaults_hold_without_settings() {
        let c = config(&[]).unwrap();
        assert_eq!(c.rate_limit.0, 0, "rate limiting is off by default");
        assert_eq!(c.connect_timeout, ledger_postgres::CONNECT_TIMEOUT);
        assert_eq!(c.pipeline.max_batch, 256);
        assert!(c.pipeline.workers >= 1);
        assert_eq!(c.pipeline.linger, std::time::Duration::ZERO);
    }

    #[test]
    fn settings_are_read_and_burst_defaults_to_twice_the_rate() {
        let c = config(&[
            ("RATE_LIMIT_PER_SECOND", "50"),
            ("POSTING_WORKERS", "3"),
            ("DB_CONNECT_TIMEOUT_MS", "250"),
        ])
        .unwrap();
        assert_eq!(c.rate_limit, (50, 100));
        assert_eq!(c.pipeline.workers, 3);
        assert_eq!(c.connect_timeout, std::time::Duration::from_millis(250));
    }

    #[test]
    fn a_value_out_of_range_or_not_a_number_is_refused_by_name_not_clamped() {
        for (name, value) in [
            ("POSTING_WORKERS", "0"),
            ("POSTING_MAX_BATCH", "100000"),
            ("POSTING_LINGER_MICROS", "-1"),
            ("DB_CONNECT_TIMEOUT_MS", "five"),
            ("RATE_LIMIT_PER_SECOND", "2.5"),
            ("RATE_LIMIT_BURST", "0"),
        ] {
            let err = config(&[(name, value)])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(name) && err.contains(value), "{name}={value}: {err:?}");
        }
        assert!(config(&[("LOG_FORMAT", "xml")]).is_err());
    }
}
