//! The two seed flows, end to end through the REST API.

use serde_json::json;

use crate::helpers::spawn_app;

/// Flow A (the wallet-management tutorial).
#[actix_web::test]
async fn alice_deposits_withdraws_with_a_fee_and_moves_money_between_her_wallets() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let alice = app
        .expect(
            "/v1/identities",
            json!({"ledger_id": ledger, "kind": "individual", "first_name": "Alice", "last_name": "Johnson", "email": "alice@example.com"}),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let main = app
        .account(
            &ledger,
            "Alice main wallet",
            "liability",
            "USD",
            json!({"identity_id": alice, "metadata": {"wallet_type": "main"}}),
        )
        .await;
    app.deposit(&ledger, &main, "1000.00").await;
    let w = app
        .expect(
            "/v1/withdrawals",
            json!({"ledger_id": ledger, "wallet_id": main, "amount": "100.00", "currency": "USD"}),
            201,
        )
        .await;
    assert_eq!(w["metadata"]["transaction_type"], "withdrawal");
    assert_eq!(app.balance(&main, "posted").await, "900.00");
    let cash = app.find_account_by_code(&ledger, "cash:USD").await;
    let revenue = app.find_account_by_code(&ledger, "revenue:withdrawal_fees:USD").await;
    assert_eq!(app.balance(&cash, "posted").await, "902.00");
    assert_eq!(app.balance(&revenue, "posted").await, "2.00");

    let card = app
        .account(
            &ledger,
            "Alice card wallet",
            "liability",
            "USD",
            json!({"identity_id": alice, "metadata": {"wallet_type": "card", "card_last4": "4242", "card_network": "visa"}}),
        )
        .await;
    app.expect(
        "/v1/transfers",
        json!({"ledger_id": ledger, "from_wallet_id": main, "to_wallet_id": card, "amount": "200.00", "currency": "USD"}),
        201,
    )
    .await;
    assert_eq!(app.balance(&main, "posted").await, "700.00");
    assert_eq!(app.balance(&card, "posted").await, "200.00");

    let wallets = app.get(&format!("/v1/accounts?identity_id={alice}")).await;
    assert_eq!(wallets.status, 200);
    let data = wallets.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "all of Alice's wallets, nothing else");
    let by_name = |n: &str| data.iter().find(|a| a["name"] == n).unwrap().clone();
    assert_eq!(by_name("Alice main wallet")["balances"]["posted"]["amount"], "700.00");
    assert_eq!(
        by_name("Alice card wallet")["balances"]["available"]["amount"],
        "200.00"
    );
    assert_eq!(by_name("Alice card wallet")["metadata"]["card_last4"], "4242");
}

/// Flow B (the digital-wallets guide).
#[actix_web::test]
async fn a_wallet_platform_holds_posts_transfers_withdraws_aggregates_backdates_and_reverses() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let cash = app
        .account(
            &ledger,
            "Operating cash",
            "asset",
            "USD",
            json!({"code": "bank:operating"}),
        )
        .await;
    let u1 = app.wallet(&ledger, "User 1 wallet").await;
    let u2 = app.wallet(&ledger, "User 2 wallet").await;
    let _fees = app
        .account(&ledger, "Transfer fee revenue", "revenue", "USD", json!({}))
        .await;
    let _bank_fees = app.account(&ledger, "Bank fees", "expense", "USD", json!({})).await;

    // a pending ACH deposit: in `pending`, not in `posted` or `available`
    let ach = app
        .expect(
            "/v1/deposits",
            json!({"ledger_id": ledger, "wallet_id": u1, "amount": "500.00", "currency": "USD",
                   "cash_account_id": cash, "status": "pending", "metadata": {"rail": "ach", "user": "u1"}}),
            201,
        )
        .await;
    assert_eq!(ach["status"], "pending");
    assert_eq!(app.balance(&u1, "pending").await, "500.00");
    assert_eq!(app.balance(&u1, "posted").await, "0.00");
    assert_eq!(app.balance(&u1, "available").await, "0.00");
    let posted = app
        .expect(
            &format!("/v1/transactions/{}/post", ach["id"].as_str().unwrap()),
            json!({}),
            200,
        )
        .await;
    assert_eq!(posted["status"], "posted");
    assert_eq!(app.balance(&u1, "available").await, "500.00");
    assert_eq!(app.balance(&cash, "posted").await, "500.00");

    // an in-app transfer, then a withdrawal with the 2% fee
    app.expect(
        "/v1/transfers",
        json!({"ledger_id": ledger, "from_wallet_id": u1, "to_wallet_id": u2, "amount": "150.00", "currency": "USD", "metadata": {"user": "u1"}}),
        201,
    )
    .await;
    let withdrawal = app
        .expect(
            "/v1/withdrawals",
            json!({"ledger_id": ledger, "wallet_id": u2, "amount": "50.00", "currency": "USD", "cash_account_id": cash, "metadata": {"user": "u2"}}),
            201,
        )
        .await;
    assert_eq!(app.balance(&u2, "posted").await, "100.00");
    assert_eq!(app.balance(&cash, "posted").await, "451.00");

    // a "user balances" category aggregating the wallets
    let category = app
        .expect(
            "/v1/categories",
            json!({"ledger_id": ledger, "name": "User balances", "currency": "USD", "normal_balance": "credit"}),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for w in [&u1, &u2] {
        app.expect(
            &format!("/v1/categories/{category}/members"),
            json!({"type": "account", "id": w}),
            200,
        )
        .await;
    }
    let c = app.get(&format!("/v1/categories/{category}")).await;
    assert_eq!(c.body["balances"]["posted"]["amount"], "450.00", "350 + 100");
    assert_eq!(c.body["members"].as_array().unwrap().len(), 2);

    // a metadata query returns only one wallet's transactions
    let mine = app
        .get(&format!("/v1/transactions?ledger_id={ledger}&metadata[user]=u1"))
        .await;
    assert_eq!(mine.status, 200);
    let mine = mine.body["data"].as_array().unwrap().clone();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|t| t["metadata"]["user"] == "u1"));

    // a back-dated transaction changes the as-of balance only after its effective_at
    let back = "2026-01-15T12:00:00Z";
    app.expect(
        "/v1/deposits",
        json!({"ledger_id": ledger, "wallet_id": u2, "amount": "25.00", "currency": "USD", "effective_at": back}),
        201,
    )
    .await;
    let before = app.get(&format!("/v1/accounts/{u2}?as_of=2026-01-15T11:59:59Z")).await;
    assert_eq!(before.body["balances"]["posted"]["amount"], "0.00");
    let at = app.get(&format!("/v1/accounts/{u2}?as_of={back}")).await;
    assert_eq!(at.body["balances"]["posted"]["amount"], "25.00");
    assert_eq!(app.balance(&u2, "posted").await, "125.00");

    // a reversal restores every balance
    let before: Vec<String> = futures_util::future::join_all([&u2, &cash].map(|a| app.balance(a, "posted"))).await;
    let reversal = app
        .expect(
            &format!("/v1/transactions/{}/reverse", withdrawal["id"].as_str().unwrap()),
            json!({}),
            201,
        )
        .await;
    assert_eq!(reversal["reverses_id"], withdrawal["id"]);
    let original = app
        .get(&format!("/v1/transactions/{}", withdrawal["id"].as_str().unwrap()))
        .await;
    assert_eq!(original.body["reversed_by_id"], reversal["id"]);
    assert_eq!(app.balance(&u2, "posted").await, "175.00", "{before:?} + 50.00");
    assert_eq!(app.balance(&cash, "posted").await, "500.00");
    let revenue = app.find_account_by_code(&ledger, "revenue:withdrawal_fees:USD").await;
    assert_eq!(app.balance(&revenue, "posted").await, "0.00");

    // the statement shows the running balance
    let statement = app.get(&format!("/v1/accounts/{u2}/entries?limit=2")).await;
    assert_eq!(statement.status, 200);
    let lines = statement.body["data"].as_array().unwrap();
    assert_eq!(
        lines[0]["running_balance"], "25.00",
        "the back-dated deposit comes first"
    );
    assert_eq!(lines[1]["running_balance"], "175.00");
    let next = statement.body["next_cursor"].as_str().unwrap();
    let rest = app
        .get(&format!("/v1/accounts/{u2}/entries?limit=100&cursor={next}"))
        .await;
    let last = rest.body["data"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["running_balance"], "175.00");
    assert!(rest.body["next_cursor"].is_null());
}
