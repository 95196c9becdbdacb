//! The database goes away under a running server: every request is answered
//! 503 problem+json quickly (not after a long wait for a connection), the
//! readiness probe says so in well under a second, and the server serves
//! again once the database is back, without a restart.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn with_the_database_gone_requests_fail_fast_and_serve_again_when_it_is_back() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let wallet = app.wallet(&ledger, "w").await;
    app.deposit(&ledger, &wallet, "10.00").await;
    assert_eq!(app.get("/health/ready").await.status, 200);

    app.db.cut_off();
    let started = Instant::now();
    let ready = app.get("/health/ready").await;
    let took = started.elapsed();
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert!(took < Duration::from_millis(900), "readiness took {took:?}");

    let deposit = json!({"ledger_id": ledger, "wallet_id": wallet, "amount": "1.00", "currency": "USD"});
    for _ in 0..3 {
        for (method, path) in [
            ("GET", format!("/v1/accounts/{wallet}")),
            ("POST", "/v1/deposits".to_owned()),
        ] {
            let started = Instant::now();
            let r = if method == "GET" {
                app.get(&path).await
            } else {
                app.post(&path, deposit.clone()).await
            };
            let took = started.elapsed();
            assert_eq!(r.status, 503, "{method} {path}: {}", r.body);
            assert_eq!(r.content_type, "application/problem+json");
            assert!(r.problem_type().ends_with("unavailable"), "{}", r.body);
            assert!(took < Duration::from_secs(2), "{method} {path} took {took:?}");
        }
    }

    app.db.restore();
    let started = Instant::now();
    loop {
        if app.get("/health/ready").await.status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not ready again after 10 s"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    app.deposit(&ledger, &wallet, "1.00").await;
    // nothing of the refused deposits was written
    assert_eq!(app.balance(&wallet, "posted").await, "11.00");
}
