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
