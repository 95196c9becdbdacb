//! A small run of the whole harness (part of `make test`; `make bench` is the
//! real run): fixtures, every load scenario for a moment, the pgbench
//! baseline, and the invariant checks — which must hold.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer};
use diesel::{Connection, PgConnection};
use ledger_bench::load::{self, Scenario, Target};
use ledger_bench::{checks, pgbench, seed};
use ledger_domain::access::{ApiKeyStore, Scope};
use ledger_postgres::testing::TestDatabase;

#[actix_web::test]
async fn the_harness_runs_every_scenario_and_the_invariants_hold() {
    let db = TestDatabase::create();
    let store = db.store(8);
    let (secret, key) = ledger_http::auth::new_api_key("smoke", Scope::Admin, chrono::Utc::now());
    store.insert_api_key(&key).unwrap();
    let state = ledger_http::AppState::new(Arc::new(store));
    let server = HttpServer::new(move || App::new().configure(ledger_http::configure(state.clone())))
        .workers(2)
        .bind("127.0.0.1:0")
        .unwrap();
    let base_url = format!("http://{}", server.addrs()[0]);
    actix_web::rt::spawn(server.run());

    let mut conn = PgConnection::establish(&db.url()).unwrap();
    let (ledger, wallets) = seed::wallet_ledger(&mut conn, "smoke", 50, 20).unwrap();
    assert_eq!(wallets.len(), 50);
    let (hot_ledger, hot) = seed::hot_wallet(&mut conn, 500).unwrap();
    checks::ledger_invariants(&mut conn, ledger).unwrap();
    checks::ledger_invariants(&mut conn, hot_ledger).unwrap();

    let target = Target {
        base_urls: vec![base_url.clone()],
        api_key: secret.clone(),
        ledger_id: ledger,
        wallets,
    };
    for scenario in [
        Scenario::Transfers,
        Scenario::Deposits,
        Scenario::Withdrawals,
        Scenario::Mix,
        Scenario::ReadWallet,
    ] {
        let before = checks::transactions(&mut conn, ledger).unwrap();
        let r = load::run(&target, scenario, 4, Duration::from_millis(400)).await;
        let after = checks::transactions(&mut conn, ledger).unwrap();
        assert!(r.ok > 0, "{scenario:?}: nothing succeeded: {:?}", r.errors);
        assert!(
            r.errors.keys().all(|k| k == "insufficient_funds"),
            "{scenario:?}: unexpected errors {:?}",
            r.errors
        );
        if scenario.writes() {
            assert_eq!(
                u64::try_from(after - before).unwrap(),
                r.ok,
                "{scenario:?}: stored = acknowledged"
            );
        }
        let answered = r.ok + r.error_count();
        assert_eq!(
            u64::try_from(r.latencies.len()).unwrap(),
            answered,
            "{scenario:?}: one latency per answer"
        );
        checks::ledger_invariants(&mut conn, ledger).unwrap();
    }
    let (latencies, failures) = load::sequential_gets(&base_url, &secret, &format!("/v1/accounts/{hot}"), 5).await;
    assert_eq!((latencies.len(), failures), (5, 0));

    // the baseline runs against the same server, in a database of its own
    let pg = TestDatabase::create();
    let mut pg_conn = PgConnection::establish(&pg.url()).unwrap();
    pgbench::setup(&mut pg_conn).unwrap();
    let dir = std::env::temp_dir().join(format!("smoke-pgbench-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let b = pgbench::run(&pg.url(), 2, 1, &dir).unwrap();
    assert!(b.tps > 0 && b.p50_micros > 0 && b.p50_micros <= b.p99_micros, "{b:?}");
}

#[test]
fn broken_counters_are_caught() {
    let db = TestDatabase::create();
    let mut conn = PgConnection::establish(&db.url()).unwrap();
    let (ledger, wallets) = seed::wallet_ledger(&mut conn, "tamper", 3, 10).unwrap();
    checks::ledger_invariants(&mut conn, ledger).unwrap();
    use diesel::RunQueryDsl;
    diesel::sql_query(format!(
        "UPDATE account_balances SET posted_credits = posted_credits + 1 WHERE account_id = '{}'",
        wallets[0]
    ))
    .execute(&mut conn)
    .unwrap();
    let e = checks::ledger_invariants(&mut conn, ledger).unwrap_err().to_string();
    assert!(e.contains("trial balance"), "{e}");
}
