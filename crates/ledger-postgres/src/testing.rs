//! Test databases: each test gets a fresh database cloned from a migrated
//! template, dropped when the guard goes out of scope.
//!
//! The server comes from `LEDGER_TEST_DATABASE_SERVER` (set by the Makefile),
//! else from `DATABASE_URL`'s server, else `scripts/db.sh up` is run, so a plain
//! `cargo test` works too. The template's name carries a hash of the migration
//! files, so a changed migration gets a new template.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::process::Command;

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl, sql_query};
use uuid::Uuid;

use crate::{PgPool, PostgresLedgerStore, connect, run_migrations};

const TEMPLATE_LOCK_KEY: i64 = 0x5445_4d50_4c54; // "TEMPLT"

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `postgres://user@host:port` of the server tests use.
pub fn server_url() -> String {
    if let Ok(url) = std::env::var("LEDGER_TEST_DATABASE_SERVER") {
        return url.trim_end_matches('/').to_owned();
    }
    if let Ok(url) = std::env::var("DATABASE_URL")
        && let Some((server, _db)) = url.rsplit_once('/')
    {
        return server.to_owned();
    }
    let script = workspace_root().join("scripts/db.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("up")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "scripts/db.sh up failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn migrations_hash() -> u64 {
    let mut files: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("migrations"))
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    let mut hasher = DefaultHasher::new();
    for dir in files {
        dir.file_name().hash(&mut hasher);
        std::fs::read(dir.join("up.sql")).unwrap_or_default().hash(&mut hasher);
    }
    hasher.finish()
}

fn admin(server: &str) -> PgConnection {
    PgConnection::establish(&format!("{server}/postgres"))
        .unwrap_or_else(|e| panic!("cannot connect to {server}/postgres: {e}"))
}

/// Creates the migrated template once per migration set (under an advisory
/// lock: test processes start in parallel) and returns its name.
fn template(server: &str, conn: &mut PgConnection) -> String {
    let name = format!("wl_template_{:016x}", migrations_hash());
    sql_query(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"))
        .execute(conn)
        .ok();
    let exists = sql_query(format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"))
        .execute(conn)
        .unwrap_or(0)
        > 0;
    if !exists {
        let building = format!("{name}_building");
        sql_query(format!("DROP DATABASE IF EXISTS {building}"))
            .execute(conn)
            .ok();
        sql_query(format!("CREATE DATABASE {building}"))
            .execute(conn)
            .unwrap_or_else(|e| panic!("create template: {e}"));
        {
            let mut t = PgConnection::establish(&format!("{server}/{building}")).unwrap_or_else(|e| panic!("{e}"));
            run_migrations(&mut t).unwrap_or_else(|e| panic!("migrations: {e}"));
        }
        sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
            .execute(conn)
            .unwrap_or_else(|e| panic!("publish template: {e}"));
    }
    sql_query(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"))
        .execute(conn)
        .ok();
    name
}

/// A database of its own for one test; dropped on `Drop`.
pub struct TestDatabase {
    server: String,
    name: String,
}

impl TestDatabase {
    pub fn create() -> Self {
        let server = server_url();
        let mut conn = admin(&server);
        let template = template(&server, &mut conn);
        let name = format!("wl_test_{}", Uuid::now_v7().simple());
        let mut last = None;
        for _ in 0..20 {
            match sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}")).execute(&mut conn) {
                Ok(_) => return Self { server, name },
                // "source database is being accessed by other users": retry
                Err(e) => {
                    last = Some(e);
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
        }
        panic!("cannot create test database: {last:?}");
    }

    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }

    pub fn pool(&self, size: u32) -> PgPool {
        connect(&self.url(), size).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Makes the database unreachable: refuses new connections and ends the
    /// open ones (for testing how callers see an outage).
    pub fn cut_off(&self) {
        let mut conn = admin(&self.server);
        sql_query(format!("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false", self.name))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{e}"));
        sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
            self.name
        ))
        .execute(&mut conn)
        .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Runs `statement` on this database directly, as another process or an
    /// operator would; returns the rows it affected.
    pub fn execute(&self, statement: &str) -> usize {
        let mut conn = self.pool(1).get().unwrap_or_else(|e| panic!("{e}"));
        sql_query(statement)
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Lets connections in again after [`Self::cut_off`].
    pub fn restore(&self) {
        let mut conn = admin(&self.server);
        sql_query(format!("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true", self.name))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    pub fn store(&self, pool_size: u32) -> PostgresLedgerStore {
        PostgresLedgerStore::new(self.pool(pool_size))
    }

    /// A store whose postings are grouped as `config` says.
    pub fn store_with(&self, pool_size: u32, config: crate::PipelineConfig) -> PostgresLedgerStore {
        PostgresLedgerStore::with_pipeline(self.pool(pool_size), config)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let mut conn = admin(&self.server);
        sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .execute(&mut conn)
            .ok();
    }
}
