//! `wallet-ledger`: the composition root. Only wiring lives here.
//!
//! Subcommands:
//!   serve                                    run the HTTP server (default)
//!   migrate                                  apply pending migrations and exit
//!   create-api-key [--name N] [--scope S]    print a new key (shown once)
//!   dev-key FILE                             print the key in FILE, creating an admin key if FILE is missing or stale
//!   openapi                                  print the OpenAPI document

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
    let pool = ledger_postgres::connect(config.database_url.expose(), config.pool_size)?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    let applied = ledger_postgres::run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    Ok(PostgresLedgerStore::new(pool))
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn create_key(store: &PostgresLedgerStore, name: &str, scope: Scope) -> anyhow::Result<String> {
    let now = ledger_domain::ports::truncate_to_micros(chrono::Utc::now());
    let (secret, key) = new_api_key(name, scope, now);
    store.insert_api_key(&key)?;
    Ok(secret)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let store = connect(&config)?;
    let state = AppState::new(Arc::new(store));
    tracing::info!(address = %config.bind_address, "listening; Swagger UI at /docs/");
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(ledger_http::metrics::record))
            .wrap(TracingLogger::default())
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str).unwrap_or("serve");
    if command == "openapi" {
        print!("{}", ledger_http::openapi_json());
        return Ok(());
    }
    let config = Config::from_env()?;
    init_telemetry(config.log_format);
    match command {
        "serve" => serve(config).await,
        "migrate" => {
            connect(&config)?;
            Ok(())
        }
        "create-api-key" => {
            let store = connect(&config)?;
            let scope = flag(&args, "--scope").unwrap_or_else(|| "admin".to_owned());
            let scope = Scope::parse(&scope).ok_or_else(|| anyhow::anyhow!("--scope is read, write or admin"))?;
            let name = flag(&args, "--name").unwrap_or_else(|| "cli".to_owned());
            println!("{}", create_key(&store, &name, scope)?);
            Ok(())
        }
        "dev-key" => {
            let file = args
                .get(1)
                .ok_or_else(|| anyhow::anyhow!("usage: wallet-ledger dev-key FILE"))?;
            let store = connect(&config)?;
            let existing = std::fs::read_to_string(file).ok().map(|s| s.trim().to_owned());
            if let Some(secret) = existing
                && store.find_api_key(&hash_key(&secret))?.is_some()
            {
                println!("{secret}");
                return Ok(());
            }
            let secret = create_key(&store, "development (make run)", Scope::Admin)?;
            std::fs::write(file, format!("{secret}\n")).with_context(|| format!("cannot write {file}"))?;
            println!("{secret}");
            Ok(())
        }
        other => anyhow::bail!("unknown command `{other}`: serve | migrate | create-api-key | dev-key | openapi"),
    }
}
