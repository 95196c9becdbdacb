//! Idempotency-Key: replays, mismatches and concurrent repeats.

use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn a_replay_returns_the_identical_response_and_creates_nothing() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let w = app.wallet(&ledger, "w").await;
    let body = json!({"ledger_id": ledger, "wallet_id": w, "amount": "10.00", "currency": "USD", "status": "pending"});
    let first = app.post_with_key("/v1/deposits", body.clone(), "dep-1").await;
    assert_eq!(first.status, 201);
    // the transaction changes afterwards; the replay still shows the first response
    app.expect(&format!("/v1/transactions/{}/post", first.id()), json!({}), 200)
        .await;
    let again = app.post_with_key("/v1/deposits", body, "dep-1").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.raw, first.raw, "byte-identical body");
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(app.transaction_count(&ledger).await, 1);
    assert_eq!(app.balance(&w, "posted").await, "10.00");

    // errors replay too
    let over = json!({"ledger_id": ledger, "wallet_id": w, "amount": "99.00", "currency": "USD"});
    let e1 = app.post_with_key("/v1/withdrawals", over.clone(), "wd-1").await;
    assert_eq!(e1.status, 422);
    app.deposit(&ledger, &w, "100.00").await;
    let e2 = app.post_with_key("/v1/withdrawals", over, "wd-1").await;
    assert_eq!((e2.status, e2.raw.clone()), (422, e1.raw));

    // non-transaction resources too
    let l1 = app
        .post_with_key("/v1/ledgers", json!({"name": "once"}), "ledger-1")
        .await;
    let l2 = app
        .post_with_key("/v1/ledgers", json!({"name": "once"}), "ledger-1")
        .await;
    assert_eq!((l1.status, l2.status), (201, 201));
    assert_eq!(l1.raw, l2.raw);
}

#[actix_web::test]
async fn the_same_key_with_another_body_is_a_422() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let w = app.wallet(&ledger, "w").await;
    let body = |amount: &str| json!({"ledger_id": ledger, "wallet_id": w, "amount": amount, "currency": "USD"});
    assert_eq!(app.post_with_key("/v1/deposits", body("1.00"), "k").await.status, 201);
    let r = app.post_with_key("/v1/deposits", body("2.00"), "k").await;
    assert_eq!((r.status, r.problem_type()), (422, "idempotency_key_reused"));
    let r = app.post_with_key("/v1/withdrawals", body("1.00"), "k").await;
    assert_eq!(
        r.problem_type(),
        "idempotency_key_reused",
        "another endpoint is another request"
    );
    assert_eq!(app.balance(&w, "posted").await, "1.00");
}

#[actix_web::test]
async fn twenty_concurrent_requests_with_one_key_create_one_transaction() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let w = app.wallet(&ledger, "w").await;
    let body = json!({"ledger_id": ledger, "wallet_id": w, "amount": "5.00", "currency": "USD"});
    let replies =
        futures_util::future::join_all((0..20).map(|_| app.post_with_key("/v1/deposits", body.clone(), "burst"))).await;
    assert!(
        replies.iter().all(|r| r.status == 201),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        replies.iter().all(|r| r.raw == replies[0].raw),
        "all get the same response"
    );
    assert_eq!(app.transaction_count(&ledger).await, 1);
    assert_eq!(app.balance(&w, "posted").await, "5.00");
}

#[actix_web::test]
async fn a_reversal_under_one_key_happens_once() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let w = app.wallet(&ledger, "w").await;
    let deposit = app.deposit(&ledger, &w, "10.00").await;
    let path = format!("/v1/transactions/{}/reverse", deposit["id"].as_str().unwrap());
    let first = app.post_with_key(&path, json!({}), "rev-1").await;
    let again = app.post_with_key(&path, json!({}), "rev-1").await;
    assert_eq!((first.status, again.status), (201, 201), "{}", again.body);
    assert_eq!(first.raw, again.raw);
    assert_eq!(app.transaction_count(&ledger).await, 2);
    assert_eq!(app.balance(&w, "posted").await, "0.00");
}

/// The server died between claiming a key and posting (simulated at the port:
/// a claim that nobody will ever answer). The client's retry with the same key
/// and body waits for the dead claim's lease to run out, takes it over, and the
/// deposit is stored exactly once; a further retry replays it.
#[actix_web::test]
async fn a_retry_completes_a_payment_whose_first_attempt_died_after_claiming_its_key() {
    use ledger_domain::access::{ApiKeyStore, CLAIM_LEASE, Claim, IdempotencyMark, IdempotencyStore};
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let w = app.wallet(&ledger, "w").await;
    let body = json!({"ledger_id": ledger, "wallet_id": w, "amount": "7.00", "currency": "USD"});
    let store = app.db.store(1);
    let key = store
        .find_api_key(&ledger_http::auth::hash_key(&app.admin_key))
        .unwrap()
        .unwrap();
    let hash = ledger_http::extract::request_fingerprint("POST", "/v1/deposits", body.to_string().as_bytes());
    // the dead attempt claimed the key 1 s before its lease would end
    let claimed_at =
        ledger_domain::ports::truncate_to_micros(chrono::Utc::now()) - CLAIM_LEASE + chrono::TimeDelta::seconds(1);
    let dead = IdempotencyMark {
        api_key_id: key.id,
        key: "pay-7".into(),
        token: uuid::Uuid::now_v7(),
        answer_status: 201,
    };
    assert_eq!(store.claim(&dead, &hash, claimed_at).unwrap(), Claim::Fresh);

    let started = std::time::Instant::now();
    let retry = app.post_with_key("/v1/deposits", body.clone(), "pay-7").await;
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(500),
        "waited for the lease"
    );
    let again = app.post_with_key("/v1/deposits", body, "pay-7").await;
    assert_eq!((again.status, &again.raw), (201, &retry.raw));
    assert_eq!(again.headers.get("Idempotent-Replayed").unwrap(), "true");
    assert_eq!(app.transaction_count(&ledger).await, 1);
    assert_eq!(app.balance(&w, "posted").await, "7.00");
    // the stored transaction is the one answered
    let id = retry.body["id"].as_str().unwrap();
    let stored = app.get(&format!("/v1/transactions/{id}")).await;
    assert_eq!(stored.body, retry.body);
}
