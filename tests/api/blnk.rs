//! The Blnk dialect under load: what Blnk's queue does not promise.

use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app};

async fn blnk(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> Reply {
    let key = app.admin_key.clone();
    app.send(
        method,
        &format!("/blnk{path}"),
        None,
        &[("X-Blnk-Key", &key)],
        body.map(|b| b.to_string().into_bytes()),
    )
    .await
}

async fn balance(app: &TestApp, ledger: &str) -> String {
    let r = blnk(
        app,
        "POST",
        "/balances",
        Some(json!({"ledger_id": ledger, "currency": "USD"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["balance_id"].as_str().unwrap().to_owned()
}

/// Forty concurrent transactions into and out of one balance: every answer is
/// final (201 APPLIED or 400 insufficient funds), and the balance is exactly
/// the sum of the applied ones — no lost update.
#[actix_web::test]
async fn concurrent_transactions_on_one_balance_lose_no_update() {
    let app = spawn_app().await;
    let ledger = blnk(&app, "POST", "/ledgers", Some(json!({"name": "hot"}))).await.body["ledger_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hot = balance(&app, &ledger).await;
    let deposit = |i: usize| {
        json!({"precise_amount": 1000, "precision": 100, "reference": format!("in-{i}"), "currency": "USD",
               "source": "@WorldUSD", "destination": hot, "allow_overdraft": true})
    };
    let spend = |i: usize| {
        json!({"precise_amount": 1500, "precision": 100, "reference": format!("out-{i}"), "currency": "USD",
               "source": hot, "destination": "@ShopUSD"})
    };
    let replies = futures_util::future::join_all((0..40).map(|i| {
        let body = if i % 2 == 0 { deposit(i) } else { spend(i) };
        let app = &app;
        async move { blnk(app, "POST", "/transactions", Some(body)).await }
    }))
    .await;
    let mut net = 0i64;
    for (i, r) in replies.iter().enumerate() {
        match (r.status, i % 2) {
            (201, 0) => net += 1000,
            (201, _) => net -= 1500,
            (400, 1) => assert_eq!(r.body["error_detail"]["code"], "TXN_INSUFFICIENT_FUNDS"),
            other => panic!("transaction {i}: {other:?} {}", r.body),
        }
        if r.status == 201 {
            assert_eq!(r.body["status"], "APPLIED", "answered committed, never QUEUED");
        }
    }
    let read = blnk(&app, "GET", &format!("/balances/{hot}"), None).await;
    assert_eq!(read.body["balance"].as_i64(), Some(net), "{}", read.body);
    assert!(net >= 0, "the balance never went below zero");
}

/// Refunds of one transaction sent at once: exactly one is made.
#[actix_web::test]
async fn concurrent_refunds_refund_once() {
    let app = spawn_app().await;
    let ledger = blnk(&app, "POST", "/ledgers", Some(json!({"name": "refunds"})))
        .await
        .body["ledger_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let wallet = balance(&app, &ledger).await;
    let paid = blnk(
        &app,
        "POST",
        "/transactions",
        Some(
            json!({"amount": 25.5, "reference": "pay-1", "currency": "USD", "source": "@WorldUSD",
                    "destination": wallet, "allow_overdraft": true}),
        ),
    )
    .await;
    assert_eq!(paid.status, 201, "{}", paid.body);
    let id = paid.body["transaction_id"].as_str().unwrap();
    let path = format!("/refund-transaction/{id}");
    let replies = futures_util::future::join_all((0..6).map(|_| blnk(&app, "POST", &path, None))).await;
    let made: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(
        made.len(),
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(replies.iter().all(|r| r.status == 201 || r.status == 409));
    assert_eq!(made[0].body["source"], json!(wallet), "source and destination swapped");
    let read = blnk(&app, "GET", &format!("/balances/{wallet}"), None).await;
    assert_eq!(read.body["balance"], 0);
    assert_eq!(read.body["credit_balance"], 2550);
    assert_eq!(read.body["debit_balance"], 2550);
}
