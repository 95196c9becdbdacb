//! PostgreSQL adapter of the ledger ports: diesel (synchronous) over an r2d2
//! pool, with the migrations embedded and applied under an advisory lock.
//!
//! Callers on an async runtime must run these methods on a blocking pool (the
//! HTTP adapter uses `web::block`).

mod access;
mod error;
mod journal;
pub mod outage;
mod pipeline;
mod posting;
mod prepared;
mod rows;
pub mod schema;
mod store;
pub mod testing;

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::{RunQueryDsl, sql_query};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use ledger_domain::LedgerError;

pub use pipeline::{PipelineConfig, PipelineStats};
pub use store::PostgresLedgerStore;

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PgPooled = PooledConnection<ConnectionManager<PgConnection>>;

/// The top-level `migrations/` folder, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Arbitrary, fixed key of the advisory lock that serialises migrations.
const MIGRATION_LOCK_KEY: i64 = 0x5741_4c4c_4554; // "WALLET"

/// Per-connection settings.
/// * JIT compilation is off: for short OLTP queries a misestimate can make
///   PostgreSQL spend 100+ ms compiling a query that runs in 0.1 ms.
/// * Prepared statements run generic plans: the batch statements take their
///   rows as arrays (`unnest($1::uuid[], …)`), for which PostgreSQL otherwise
///   keeps re-planning at every execution (measured: 0.3 ms of planning per
///   statement, more than running it). Queries whose plan depends on their
///   values are not prepared (`sql_query`) and are planned with them.
#[derive(Debug)]
struct SessionSettings(std::sync::Arc<outage::Outage>);

impl diesel::r2d2::CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        use diesel::connection::SimpleConnection;
        self.0.reached();
        conn.batch_execute("SET jit = off; SET plan_cache_mode = force_generic_plan")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// How long a request waits for a database connection before it is answered
/// 503: short, so that a client or load balancer learns of an outage at once
/// (a request that waited r2d2's default 30 s, or the 10 s this had, holds its
/// caller that long for the same answer).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a readiness probe waits for a connection.
pub const PING_TIMEOUT: Duration = Duration::from_millis(250);

/// Builds a connection pool. Fails fast (with `Unavailable`) when the database
/// cannot be reached.
pub fn connect(url: &str, max_size: u32) -> Result<PgPool, LedgerError> {
    connect_with(url, max_size, CONNECT_TIMEOUT)
}

/// [`connect`] with another wait for a connection.
pub fn connect_with(url: &str, max_size: u32, timeout: Duration) -> Result<PgPool, LedgerError> {
    connect_observed(url, max_size, timeout, std::sync::Arc::default())
}

/// [`connect_with`], reporting the database's availability to `outage`
/// (one log line per outage, counts for `/metrics`).
pub fn connect_observed(
    url: &str,
    max_size: u32,
    timeout: Duration,
    outage: std::sync::Arc<outage::Outage>,
) -> Result<PgPool, LedgerError> {
    Pool::builder()
        .max_size(max_size.max(1))
        // A broken connection surfaces as an error on use (mapped to 503);
        // testing every checkout would cost a round trip per query.
        .test_on_check_out(false)
        .connection_customizer(Box::new(SessionSettings(outage.clone())))
        .error_handler(Box::new(outage::PoolErrors(outage)))
        .connection_timeout(timeout.max(Duration::from_millis(10)))
        .build(ConnectionManager::<PgConnection>::new(url))
        .map_err(|e| LedgerError::Unavailable(format!("cannot connect to PostgreSQL: {e}")))
}

/// Applies pending migrations while holding a session advisory lock, so that
/// several processes starting at once apply each migration exactly once.
/// Returns the names of the migrations applied.
pub fn run_migrations(conn: &mut PgConnection) -> Result<Vec<String>, LedgerError> {
    sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
        .execute(conn)
        .map_err(error::from_diesel)?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(|v| v.to_string()).collect())
        .map_err(|e| LedgerError::Unknown(anyhow::anyhow!("migration failed: {e}")));
    let unlocked = sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
        .execute(conn)
        .map_err(error::from_diesel);
    let applied = applied?;
    unlocked?;
    Ok(applied)
}
