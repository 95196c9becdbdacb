//! Every client mistake gets a clear problem+json answer and writes nothing.

use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn insufficient_funds_is_a_422_and_writes_nothing() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let (a, b) = (app.wallet(&ledger, "a").await, app.wallet(&ledger, "b").await);
    app.deposit(&ledger, &a, "10.00").await;
    let before = app.transaction_count(&ledger).await;
    let r = app
        .post(
            "/v1/transfers",
            json!({"ledger_id": ledger, "from_wallet_id": a, "to_wallet_id": b, "amount": "10.01", "currency": "USD"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.problem_type(), "insufficient_funds");
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.body["status"], 422);
    assert!(r.body["title"].is_string() && r.body["detail"].is_string());
    assert_eq!(app.transaction_count(&ledger).await, before);
    assert_eq!(app.balance(&a, "posted").await, "10.00");
    assert_eq!(app.balance(&b, "posted").await, "0.00");
}

#[actix_web::test]
async fn unbalanced_transactions_and_currency_mismatches_are_422() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let cash = app.account(&ledger, "cash", "asset", "USD", json!({})).await;
    let w = app.wallet(&ledger, "w").await;
    let eur = app.account(&ledger, "eur", "liability", "EUR", json!({})).await;
    let r = app
        .post(
            "/v1/transactions",
            json!({"ledger_id": ledger, "entries": [
                {"account_id": cash, "direction": "debit", "amount": "10.00"},
                {"account_id": w, "direction": "credit", "amount": "9.99"}]}),
        )
        .await;
    assert_eq!(
        (r.status, r.problem_type()),
        (422, "unbalanced_transaction"),
        "{}",
        r.body
    );
    let r = app
        .post(
            "/v1/transactions",
            json!({"ledger_id": ledger, "entries": [
                {"account_id": cash, "direction": "debit", "amount": "10.00", "currency": "USD"},
                {"account_id": w, "direction": "credit", "amount": "10.00", "currency": "EUR"}]}),
        )
        .await;
    assert_eq!((r.status, r.problem_type()), (422, "currency_mismatch"), "{}", r.body);
    let r = app
        .post(
            "/v1/transfers",
            json!({"ledger_id": ledger, "from_wallet_id": w, "to_wallet_id": eur, "amount": "1.00", "currency": "USD"}),
        )
        .await;
    assert_eq!((r.status, r.problem_type()), (422, "currency_mismatch"), "{}", r.body);
    let r = app
        .post(
            "/v1/deposits",
            json!({"ledger_id": ledger, "wallet_id": w, "amount": "1.001", "currency": "USD"}),
        )
        .await;
    assert_eq!((r.status, r.problem_type()), (422, "validation"), "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "amount");
    let r = app
        .post(
            "/v1/deposits",
            json!({"ledger_id": ledger, "wallet_id": w, "amount": 5, "currency": "USD"}),
        )
        .await;
    assert_eq!(
        (r.status, r.problem_type()),
        (422, "validation"),
        "amounts are strings: {}",
        r.body
    );
    assert_eq!(r.body["errors"][0]["field"], "amount");
    assert_eq!(app.transaction_count(&ledger).await, 0);
}

#[actix_web::test]
async fn unknown_ids_are_404_and_malformed_json_is_400() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let missing = uuid::Uuid::now_v7();
    for path in [
        format!("/v1/ledgers/{missing}"),
        format!("/v1/accounts/{missing}"),
        format!("/v1/transactions/{missing}"),
        format!("/v1/identities/{missing}"),
        format!("/v1/categories/{missing}"),
        "/v1/accounts/not-a-uuid".to_owned(),
        "/v1/nothing-here".to_owned(),
    ] {
        let r = app.get(&path).await;
        assert_eq!((r.status, r.problem_type()), (404, "not_found"), "{path}: {}", r.body);
    }
    let w = app.wallet(&ledger, "w").await;
    let r = app
        .post(
            "/v1/deposits",
            json!({"ledger_id": ledger, "wallet_id": missing, "amount": "1.00", "currency": "USD"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .send(
            "POST",
            "/v1/deposits",
            Some(&app.admin_key),
            &[],
            Some(b"{\"ledger_id\": ".to_vec()),
        )
        .await;
    assert_eq!((r.status, r.problem_type()), (400, "malformed_request"));
    let r = app
        .send("DELETE", &format!("/v1/accounts/{w}"), Some(&app.admin_key), &[], None)
        .await;
    assert_eq!((r.status, r.problem_type()), (405, "method_not_allowed"));
}

#[actix_web::test]
async fn a_duplicate_external_id_is_a_409() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let w = app.wallet(&ledger, "w").await;
    let body =
        json!({"ledger_id": ledger, "wallet_id": w, "amount": "1.00", "currency": "USD", "external_id": "ach-42"});
    assert_eq!(app.post("/v1/deposits", body.clone()).await.status, 201);
    let r = app.post("/v1/deposits", body).await;
    assert_eq!((r.status, r.problem_type()), (409, "external_id_taken"), "{}", r.body);
    assert_eq!(app.balance(&w, "posted").await, "1.00");
}

#[actix_web::test]
async fn requests_without_a_key_are_401_and_read_keys_cannot_write() {
    let app = spawn_app().await;
    let r = app.send("GET", "/v1/ledgers", None, &[], None).await;
    assert_eq!((r.status, r.problem_type()), (401, "unauthorized"));
    let r = app.send("GET", "/v1/ledgers", Some("wlk_forged"), &[], None).await;
    assert_eq!(r.status, 401);
    let body = json!({"name": "x"}).to_string().into_bytes();
    let r = app
        .send("POST", "/v1/ledgers", Some(&app.read_key), &[], Some(body.clone()))
        .await;
    assert_eq!((r.status, r.problem_type()), (403, "forbidden"));
    let r = app
        .send("POST", "/v1/ledgers", Some(&app.write_key), &[], Some(body))
        .await;
    assert_eq!(r.status, 403, "opening a ledger needs admin");
    let ledger = app.ledger().await;
    let body = json!({"ledger_id": ledger, "name": "w", "kind": "liability", "currency": "USD"})
        .to_string()
        .into_bytes();
    let r = app
        .send("POST", "/v1/accounts", Some(&app.read_key), &[], Some(body.clone()))
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .send("POST", "/v1/accounts", Some(&app.write_key), &[], Some(body))
        .await;
    assert_eq!(r.status, 201);
    let r = app.send("GET", "/v1/ledgers", Some(&app.read_key), &[], None).await;
    assert_eq!(r.status, 200);
}

#[actix_web::test]
async fn an_oversized_body_is_a_413() {
    let app = spawn_app().await;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(200 * 1024));
    let r = app
        .send("POST", "/v1/ledgers", Some(&app.admin_key), &[], Some(big.into_bytes()))
        .await;
    assert_eq!((r.status, r.problem_type()), (413, "payload_too_large"));
    // the same body chunked, with no Content-Length to refuse it by
    let chunks = (0..4).map(|_| {
        Ok::<_, std::io::Error>(actix_web::web::Bytes::from(format!(
            "{{\"name\": \"{}\"}}",
            "x".repeat(30 * 1024)
        )))
    });
    let mut res = app
        .client
        .post(format!("{}/v1/ledgers", app.address))
        .insert_header(("Authorization", format!("Bearer {}", app.admin_key)))
        .insert_header(("Content-Type", "application/json"))
        .send_stream(futures_util::stream::iter(chunks))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["type"], "payload_too_large");
    assert_eq!(app.get("/v1/ledgers").await.body["data"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn invalid_list_parameters_are_422() {
    let app = spawn_app().await;
    for q in [
        "limit=0",
        "limit=101",
        "cursor=zz",
        "status=bogus",
        "unknown=1",
        "effective_from=yesterday",
    ] {
        let r = app.get(&format!("/v1/transactions?{q}")).await;
        assert_eq!((r.status, r.problem_type()), (422, "validation"), "{q}: {}", r.body);
    }
}

#[actix_web::test]
async fn a_database_outage_is_a_503_that_shows_nothing_internal() {
    let app = spawn_app().await;
    assert_eq!(app.get("/v1/ledgers").await.status, 200); // the key is now cached
    app.db.cut_off();
    let ready = app.send("GET", "/health/ready", None, &[], None).await;
    assert_eq!(
        (ready.status, ready.problem_type()),
        (503, "unavailable"),
        "{}",
        ready.body
    );
    let r = app.get("/v1/ledgers").await;
    assert_eq!((r.status, r.problem_type()), (503, "unavailable"), "{}", r.body);
    assert!(
        !r.body["detail"].as_str().unwrap().contains("terminat"),
        "no database text leaks: {}",
        r.body
    );
    assert_eq!(app.send("GET", "/health/live", None, &[], None).await.status, 200);
}

#[actix_web::test]
async fn text_and_metadata_the_database_cannot_keep_are_422_and_create_nothing() {
    let app = spawn_app().await;
    for body in [
        json!({"name": "nul \u{0} inside"}),
        json!({"name": "ok", "metadata": {"k\u{0}": "v"}}),
        json!({"name": "ok", "withdrawal_fee_rate": "1.5"}),
        json!({"name": "ok", "withdrawal_fee_rate": "0.123456789"}),
        json!({"name": ""}),
    ] {
        let r = app.post("/v1/ledgers", body.clone()).await;
        assert_eq!((r.status, r.problem_type()), (422, "validation"), "{body}: {}", r.body);
        assert!(
            !r.body["errors"].as_array().unwrap().is_empty(),
            "{body}: names the field"
        );
    }
    assert_eq!(app.get("/v1/ledgers").await.body["data"].as_array().unwrap().len(), 0);
    // numbers of any size are kept exactly: jsonb writes them out in full,
    // and they read back as the same number
    let huge = r#"{"name": "big", "metadata": {"huge": -1.7976931348623157e308, "tiny": 1e-300}}"#;
    let r = app
        .send(
            "POST",
            "/v1/ledgers",
            Some(&app.admin_key),
            &[],
            Some(huge.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let back = app.get(&format!("/v1/ledgers/{}", r.id())).await;
    let number = |v: &serde_json::Value| v.to_string().parse::<bigdecimal::BigDecimal>().unwrap();
    for key in ["huge", "tiny"] {
        assert_eq!(
            number(&back.body["metadata"][key]),
            number(&r.body["metadata"][key]),
            "{key}"
        );
    }
}

#[actix_web::test]
async fn identities_need_a_name_that_fits_their_kind() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    for body in [
        json!({"ledger_id": ledger, "kind": "individual"}),
        json!({"ledger_id": ledger, "kind": "organization", "first_name": "Alice"}),
        json!({"ledger_id": ledger, "kind": "individual", "first_name": "Alice", "email": "not an email"}),
        json!({"ledger_id": ledger, "kind": "robot", "first_name": "Alice"}),
    ] {
        let r = app.post("/v1/identities", body.clone()).await;
        assert_eq!((r.status, r.problem_type()), (422, "validation"), "{body}: {}", r.body);
    }
    assert_eq!(
        app.get("/v1/identities").await.body["data"].as_array().unwrap().len(),
        0
    );
}

#[actix_web::test]
async fn bad_cursors_times_and_idempotency_keys_are_422() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let w = app.wallet(&ledger, "w").await;
    for path in [
        format!("/v1/accounts/{w}/entries?cursor=zz"),
        format!("/v1/accounts/{w}/entries?cursor={}", hex_of("v1:not|a|cursor")),
        format!("/v1/accounts/{w}?as_of=yesterday"),
        format!("/v1/accounts/{w}?metadata[k]=v"),
        format!("/v1/categories?ledger_id={ledger}&limit=500"),
        "/v1/categories".to_owned(),
    ] {
        let r = app.get(&path).await;
        assert_eq!((r.status, r.problem_type()), (422, "validation"), "{path}: {}", r.body);
    }
    let long_key = "k".repeat(256);
    let body = json!({"ledger_id": ledger, "wallet_id": w, "amount": "1.00", "currency": "USD"});
    let r = app.post_with_key("/v1/deposits", body, &long_key).await;
    assert_eq!((r.status, r.problem_type()), (422, "validation"), "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(app.transaction_count(&ledger).await, 0);
}

fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

#[actix_web::test]
async fn undeclared_methods_name_the_allowed_ones() {
    let app = spawn_app().await;
    let r = app.send("PUT", "/v1/deposits", Some(&app.admin_key), &[], None).await;
    assert_eq!((r.status, r.problem_type()), (405, "method_not_allowed"));
    assert_eq!(r.headers.get("allow").unwrap(), "POST");
    let r = app.send("DELETE", "/v1/ledgers", Some(&app.admin_key), &[], None).await;
    assert_eq!(r.headers.get("allow").unwrap(), "GET, POST");
}

#[actix_web::test]
async fn a_revoked_key_is_refused() {
    use ledger_domain::access::{ApiKeyStore, Scope};
    let app = spawn_app().await;
    let now = ledger_domain::ports::truncate_to_micros(chrono::Utc::now());
    let (secret, mut key) = ledger_http::auth::new_api_key("revoked", Scope::Admin, now);
    key.revoked_at = Some(now);
    app.db.store(1).insert_api_key(&key).unwrap();
    let r = app.send("GET", "/v1/ledgers", Some(&secret), &[], None).await;
    assert_eq!((r.status, r.problem_type()), (401, "unauthorized"), "{}", r.body);
}

#[actix_web::test]
async fn a_stale_lock_version_or_broken_balance_bound_is_422_condition_failed() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let w = app.wallet(&ledger, "w").await;
    app.deposit(&ledger, &w, "10.00").await;
    let cash = app.find_account_by_code(&ledger, "cash:USD").await;
    let version = app.get(&format!("/v1/accounts/{w}")).await.body["version"]
        .as_i64()
        .unwrap();
    let body = |extra: serde_json::Value| {
        let mut entry = json!({"account_id": w, "direction": "debit", "amount": "4.00"});
        entry
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"ledger_id": ledger, "entries": [entry, {"account_id": cash, "direction": "credit", "amount": "4.00"}]})
    };
    app.expect("/v1/transactions", body(json!({"lock_version": version})), 201)
        .await;
    let before = app.transaction_count(&ledger).await;
    for extra in [
        json!({"lock_version": version}),
        json!({"posted_balance_amount": {"gte": "2.01"}}),
        json!({"available_balance_amount": {"gt": "2.00", "lte": "100"}}),
    ] {
        let r = app.post("/v1/transactions", body(extra.clone())).await;
        assert_eq!(
            (r.status, r.problem_type()),
            (422, "condition_failed"),
            "{extra}: {}",
            r.body
        );
    }
    assert_eq!(app.transaction_count(&ledger).await, before);
    assert_eq!(app.balance(&w, "posted").await, "6.00");
    app.expect(
        "/v1/transactions",
        body(json!({"posted_balance_amount": {"eq": "2.00"}})),
        201,
    )
    .await;
    assert_eq!(app.balance(&w, "posted").await, "2.00");
}
