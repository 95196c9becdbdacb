//! Per-key rate limiting: beyond its burst a key is answered 429 in its
//! dialect's shape with `Retry-After`, writes nothing, and other keys are not
//! affected; after the wait the key is served again.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{basic_auth, spawn_app_with};

#[actix_web::test]
async fn a_key_over_its_rate_gets_429_with_retry_after_and_other_keys_go_on() {
    // 2 a second, bursts of 3
    let app = spawn_app_with(|state| state.with_rate_limit(2, 3)).await;
    let ledger = app.ledger().await; // admin key: 1 of its 3
    let wallet = app.wallet(&ledger, "w").await; // 2 of 3
    app.deposit(&ledger, &wallet, "5.00").await; // 3 of 3
    let deposit = json!({"ledger_id": ledger, "wallet_id": wallet, "amount": "1.00", "currency": "USD"});
    let r = app.post("/v1/deposits", deposit.clone()).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.problem_type(), "rate_limited");
    let wait: u64 = r.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");

    // the other keys have their own budget; the refused deposit wrote nothing
    assert_eq!(app.balance(&wallet, "posted").await, "5.00");
    // the Modern Treasury dialect answers in its own shape
    let mt = app
        .send(
            "GET",
            "/mt/api/ledgers",
            None,
            &[("Authorization", &basic_auth(&app.admin_key))],
            None,
        )
        .await;
    assert_eq!(mt.status, 429, "{}", mt.body);
    assert_eq!(mt.body["errors"]["code"], "rate_limit_exceeded", "{}", mt.body);
    assert!(mt.headers.get("retry-after").is_some());

    actix_web::rt::time::sleep(Duration::from_secs(wait)).await;
    let r = app.post("/v1/deposits", deposit).await;
    assert_eq!(r.status, 201, "served again after Retry-After: {}", r.body);
    assert_eq!(app.balance(&wallet, "posted").await, "6.00");
}

/// A key revoked in the database (as another process would) is refused by
/// this process within the key cache's second, though it was just in use.
#[actix_web::test]
async fn a_revoked_key_is_refused_within_a_second_though_it_was_cached() {
    let app = spawn_app_with(|state| state).await;
    let ledger = app.ledger().await;
    let wallet = app.wallet(&ledger, "w").await;
    let deposit = json!({"ledger_id": ledger, "wallet_id": wallet, "amount": "1.00", "currency": "USD"});
    let with_write_key = || {
        app.send(
            "POST",
            "/v1/deposits",
            Some(&app.write_key),
            &[],
            Some(deposit.to_string().into_bytes()),
        )
    };
    assert_eq!(with_write_key().await.status, 201); // the key is cached now
    assert_eq!(
        app.db
            .execute("UPDATE api_keys SET revoked_at = now() WHERE scope = 'write'"),
        1
    );
    actix_web::rt::time::sleep(ledger_http::auth::CACHE_TTL + Duration::from_millis(100)).await;
    let r = with_write_key().await;
    assert_eq!((r.status, r.problem_type()), (401, "unauthorized"), "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("revoked"), "{}", r.body);
    assert_eq!(app.balance(&wallet, "posted").await, "1.00");
}
