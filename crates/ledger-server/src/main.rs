//! `wallet-ledger`: the composition root. Only wiring lives here.
//! `wallet-ledger --help` lists the subcommands; none needs a database to
//! print its help.

mod config;

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer};
use anyhow::Context;
use ledger_domain::access::{ApiKeyStore, Scope};
use ledger_http::AppState;
use ledger_http::auth::{hash_key, new_api_key};
use ledger_postgres::PostgresLedgerStore;
use tracing_actix_web::TracingLogger;

use crate::config::{Config, LogFormat};

fn init_telemetry(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

fn connect(config: &Config) -> anyhow::Result<PostgresLedgerStore> {
    connect_observed(config, Arc::default())
}

/// [`connect`], with the pool reporting outages to `outage`.
fn connect_observed(
    config: &Config,
    outage: Arc<ledger_postgres::outage::Outage>,
) -> anyhow::Result<PostgresLedgerStore> {
    let pool = ledger_postgres::connect_observed(
        config.database_url.expose(),
        config.pool_size,
        config.connect_timeout,
        outage,
    )?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    let applied = ledger_postgres::run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    Ok(PostgresLedgerStore::with_pipeline(pool, config.pipeline))
}

/// Wallet Ledger: a double-entry ledger service for digital wallets.
///
/// Configuration comes from the environment: DATABASE_URL (required by every
/// command that touches the database), BIND_ADDRESS (default 127.0.0.1:8080),
/// DB_POOL_SIZE (16), DB_CONNECT_TIMEOUT_MS (1000), HTTP_WORKERS (one per core), LOG_FORMAT (pretty|json),
/// RUST_LOG; group commit: POSTING_WORKERS (one per core), POSTING_MAX_BATCH (256),
/// POSTING_LINGER_MICROS (0: a batch takes what is waiting, never waits);
/// RATE_LIMIT_PER_SECOND per API key (0: off), RATE_LIMIT_BURST (twice it).
#[derive(Debug, clap::Parser)]
#[command(name = "wallet-ledger", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Run the HTTP server: REST API under /v1, Swagger UI at /docs/ (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an API key and print its secret (shown once; only a hash is stored).
    CreateApiKey {
        /// A name to recognise the key by.
        #[arg(long, default_value = "cli")]
        name: String,
        /// What the key may do.
        #[arg(long, value_enum, default_value_t = ScopeArg::Admin)]
        scope: ScopeArg,
    },
    /// Print the admin key kept in FILE, creating one if FILE is missing or its key is unknown (used by `make run`).
    DevKey {
        /// Where the development key is kept.
        file: std::path::PathBuf,
    },
    /// Print an OpenAPI 3.1 document: the native API (openapi/openapi.json) or a dialect's (openapi/<dialect>.json).
    Openapi {
        #[arg(value_enum, default_value_t = DocArg::Native)]
        document: DocArg,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum DocArg {
    /// The native API under /v1.
    Native,
    /// The Blnk dialect under /blnk.
    Blnk,
    /// The Modern Treasury dialect under /mt.
    Mt,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ScopeArg {
    /// Reads only.
    Read,
    /// Reads and writes inside existing ledgers.
    Write,
    /// Everything, including opening ledgers.
    Admin,
}

impl From<ScopeArg> for Scope {
    fn from(s: ScopeArg) -> Self {
        match s {
            ScopeArg::Read => Scope::Read,
            ScopeArg::Write => Scope::Write,
            ScopeArg::Admin => Scope::Admin,
        }
    }
}

fn create_key(store: &PostgresLedgerStore, name: &str, scope: Scope) -> anyhow::Result<String> {
    let now = ledger_domain::ports::truncate_to_micros(chrono::Utc::now());
    let (secret, key) = new_api_key(name, scope, now);
    store.insert_api_key(&key)?;
    Ok(secret)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let outage = Arc::new(ledger_postgres::outage::Outage::default());
    let store = connect_observed(&config, outage.clone())?;
    let pipeline = store.clone();
    let (per_second, burst) = config.rate_limit;
    let state = AppState::new(Arc::new(store)).with_rate_limit(per_second, burst);
    state.metrics.add_source(move |out| {
        let counters = pipeline.pipeline_stats().counters();
        for (name, help, value) in counters.into_iter().chain(outage.counters()) {
            ledger_http::metrics::counter(out, name, help, value);
        }
    });
    tracing::info!(address = %config.bind_address, "listening; Swagger UI at /docs/");
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(ledger_http::metrics::record))
            .wrap(TracingLogger::default())
            // the Blnk dialect first: the native configuration ends in a catch-all 404
            .configure(ledger_blnk::configure)
            .configure(ledger_mt::configure)
            .configure(ledger_http::configure(state.clone()))
    })
    .shutdown_timeout(30)
    .bind(&config.bind_address)
    .with_context(|| format!("cannot bind {}", config.bind_address))?;
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    // actix-web stops gracefully on SIGTERM and SIGINT: in-flight requests finish.
    server.run().await?;
    Ok(())
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = <Cli as clap::Parser>::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi { document } = command {
        print!(
            "{}",
            match document {
                DocArg::Native => ledger_http::openapi_json(),
                DocArg::Blnk => ledger_blnk::openapi_json(),
                DocArg::Mt => ledger_mt::openapi_json(),
            }
        );
        return Ok(());
    }
    let config = Config::from_env()?;
    init_telemetry(config.log_format);
    match command {
        Command::Openapi { .. } => Ok(()),
        Command::Serve => serve(config).await,
        Command::Migrate => {
            connect(&config)?;
            Ok(())
        }
        Command::CreateApiKey { name, scope } => {
            let store = connect(&config)?;
            println!("{}", create_key(&store, &name, scope.into())?);
            Ok(())
        }
        Command::DevKey { file } => {
            let store = connect(&config)?;
            let existing = std::fs::read_to_string(&file).ok().map(|s| s.trim().to_owned());
            if let Some(secret) = existing
                && store.find_api_key(&hash_key(&secret))?.is_some()
            {
                println!("{secret}");
                return Ok(());
            }
            let secret = create_key(&store, "development (make run)", Scope::Admin)?;
            std::fs::write(&file, format!("{secret}\n")).with_context(|| format!("cannot write {}", file.display()))?;
            println!("{secret}");
            Ok(())
        }
    }
}
