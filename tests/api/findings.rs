//! The defects real clients found (issue 8), each with the test that guards it.
//! Findings 1–3 (Swagger UI, generated clients) are also exercised by the real
//! clients in tests/browser and tests/pyclient; 4 and 5 by the contract suite
//! (`every_write_reads_back_as_answered`, `a_dead_claim_is_taken_over_…`) and
//! tests/api/idempotency.rs.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), op.clone()));
        }
    }
    out
}

/// Finding 1: Swagger UI and generators resolve operations by operationId.
#[test]
fn every_operation_has_a_unique_descriptive_operation_id() {
    let doc: Value = serde_json::from_str(&ledger_http::openapi_json()).unwrap();
    let mut seen = HashSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(seen.insert(id.to_owned()), "operationId {id} repeats ({method} {path})");
        assert!(
            id.len() > 6
                && id.chars().next().unwrap().is_ascii_lowercase()
                && id.chars().any(|c| c.is_ascii_uppercase()),
            "{id} is not a descriptive camelCase verbNoun"
        );
    }
    assert!(seen.contains("createLedger") && seen.contains("listTransactions"));
}

/// Finding 1: a page item is the same named schema as a single read.
#[test]
fn list_items_reference_the_schema_of_a_single_read() {
    let doc: Value = serde_json::from_str(&ledger_http::openapi_json()).unwrap();
    for (list, single) in [
        ("/v1/ledgers", "/v1/ledgers/{id}"),
        ("/v1/accounts", "/v1/accounts/{id}"),
        ("/v1/transactions", "/v1/transactions/{id}"),
        ("/v1/identities", "/v1/identities/{id}"),
        ("/v1/categories", "/v1/categories/{id}"),
    ] {
        let page_ref = doc["paths"][list]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap();
        let page = &doc["components"]["schemas"][page_ref.rsplit('/').next().unwrap()];
        let item = page["properties"]["data"]["items"]["$ref"].as_str().unwrap();
        let one = doc["paths"][single]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap();
        assert_eq!(item, one, "{list}");
    }
}

/// Finding 2: every error response shows examples of its own status, every
/// /v1 route documents 500 and 503, and every example's type is a real one.
#[test]
fn error_examples_match_their_status_and_500_503_are_documented_everywhere() {
    let doc: Value = serde_json::from_str(&ledger_http::openapi_json()).unwrap();
    let known: HashSet<&str> = ledger_http::error::ProblemType::ALL
        .iter()
        .map(|p| p.as_str())
        .collect();
    let mut kinds_seen = HashSet::new();
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        if path.starts_with("/v1") {
            for s in ["401", "500", "503"] {
                assert!(responses.contains_key(s), "{method} {path} does not document {s}");
            }
        }
        for (status, r) in responses {
            if !status.starts_with('4') && !status.starts_with('5') {
                continue;
            }
            let Some(content) = r["content"].get("application/problem+json") else {
                continue; // /health/ready's 503 is a HealthResponse
            };
            let examples = content["examples"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path} {status}: no examples"));
            assert!(!examples.is_empty(), "{method} {path} {status}");
            for (name, ex) in examples {
                let v = &ex["value"];
                assert_eq!(
                    v["status"].to_string(),
                    *status,
                    "{method} {path} {status} shows a {} example",
                    v["status"]
                );
                assert_eq!(v["type"], json!(name));
                assert!(known.contains(name.as_str()), "{name}");
                kinds_seen.insert(name.clone());
            }
        }
    }
    for kind in [
        "insufficient_funds",
        "external_id_taken",
        "code_taken",
        "already_reversed",
        "invalid_transition",
        "not_a_wallet",
        "unsupported_media_type",
        "unavailable",
        "internal",
    ] {
        assert!(kinds_seen.contains(kind), "{kind} is never shown");
    }
    assert!(
        doc["components"]["schemas"]["Problem"].get("example").is_none(),
        "no schema-wide example"
    );
}

/// Finding 9: every documented amount pattern is the domain's grammar.
#[test]
fn every_amount_pattern_in_the_document_is_the_domains() {
    let doc: Value = serde_json::from_str(&ledger_http::openapi_json()).unwrap();
    // every "amount" property anywhere (flattened request fields sit in allOf)
    fn walk(name: &str, v: &Value, n: &mut usize) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties")
                    && let Some(amount) = props.get("amount")
                    && name.ends_with("Request")
                {
                    assert_eq!(amount["pattern"], ledger_domain::money::AMOUNT_PATTERN, "{name}.amount");
                    *n += 1;
                }
                map.values().for_each(|x| walk(name, x, n));
            }
            Value::Array(items) => items.iter().for_each(|x| walk(name, x, n)),
            _ => {}
        }
    }
    let mut n = 0;
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        walk(name, schema, &mut n);
    }
    assert_eq!(n, 4, "EntryRequest, DepositRequest, TransferRequest, WithdrawalRequest");
}

/// Finding 3: Swagger UI never calls the public validator.
#[actix_web::test]
async fn swagger_ui_is_configured_without_the_online_validator() {
    let app = spawn_app().await;
    let r = app.send("GET", "/docs/swagger-initializer.js", None, &[], None).await;
    assert_eq!(r.status, 200);
    let js = String::from_utf8_lossy(&r.raw);
    assert!(
        js.contains(r#""validatorUrl": "none""#) || js.contains(r#""validatorUrl":"none""#),
        "{js}"
    );
}

/// Finding 8: the wallet operations act on wallets only.
#[actix_web::test]
async fn wallet_operations_refuse_accounts_that_are_not_wallets() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let w = app.wallet(&ledger, "w").await;
    app.deposit(&ledger, &w, "100.00").await;
    app.expect(
        "/v1/withdrawals",
        json!({"ledger_id": ledger, "wallet_id": w, "amount": "10.00", "currency": "USD"}),
        201,
    )
    .await;
    let revenue = app.find_account_by_code(&ledger, "revenue:withdrawal_fees:USD").await;
    let cash = app.find_account_by_code(&ledger, "cash:USD").await;
    let equity = app.account(&ledger, "owner", "equity", "USD", json!({})).await;
    let before = app.transaction_count(&ledger).await;
    for (route, body, field) in [
        (
            "/v1/transfers",
            json!({"from_wallet_id": revenue, "to_wallet_id": w}),
            "from_wallet_id",
        ),
        (
            "/v1/transfers",
            json!({"from_wallet_id": equity, "to_wallet_id": w}),
            "from_wallet_id",
        ),
        (
            "/v1/transfers",
            json!({"from_wallet_id": w, "to_wallet_id": cash}),
            "to_wallet_id",
        ),
        ("/v1/withdrawals", json!({"wallet_id": revenue}), "wallet_id"),
        ("/v1/deposits", json!({"wallet_id": cash}), "wallet_id"),
    ] {
        let mut body = body;
        body["ledger_id"] = json!(ledger);
        body["amount"] = json!("5.00");
        body["currency"] = json!("USD");
        let r = app.post(route, body.clone()).await;
        assert_eq!(
            (r.status, r.problem_type()),
            (422, "not_a_wallet"),
            "{route} {body}: {}",
            r.body
        );
        assert_eq!(r.body["errors"][0]["field"], field);
    }
    assert_eq!(app.transaction_count(&ledger).await, before);
    assert_eq!(app.balance(&revenue, "posted").await, "0.20");
    assert_eq!(app.balance(&w, "posted").await, "90.00");
}

/// Finding 9: amounts are read exactly as the documented pattern says.
#[actix_web::test]
async fn amounts_outside_the_documented_pattern_are_refused() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let w = app.wallet(&ledger, "w").await;
    for bad in [
        " 1.00", "1.00 ", "1.", ".5", "00001.00", "1.000", "1e2", "+1.00", "-1.00", "0.00", "1,00", "",
    ] {
        let r = app
            .post(
                "/v1/deposits",
                json!({"ledger_id": ledger, "wallet_id": w, "amount": bad, "currency": "USD"}),
            )
            .await;
        assert_eq!((r.status, r.problem_type()), (422, "validation"), "{bad:?}: {}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "amount", "{bad:?}");
    }
    // and a JSON number is not an amount either
    let r = app
        .post(
            "/v1/deposits",
            json!({"ledger_id": ledger, "wallet_id": w, "amount": 1.5, "currency": "USD"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(app.transaction_count(&ledger).await, 0);
    for good in ["1", "1.5", "0.01", "123456789012345678901234567890.99"] {
        app.expect(
            "/v1/deposits",
            json!({"ledger_id": ledger, "wallet_id": w, "amount": good, "currency": "USD"}),
            201,
        )
        .await;
    }
    assert_eq!(app.balance(&w, "posted").await, "123456789012345678901234567893.50");
}

/// Finding 10: the CLI explains itself without a database.
#[test]
fn the_cli_prints_help_without_a_database() {
    let bin = env!("CARGO_BIN_EXE_wallet-ledger");
    for args in [&["--help"][..], &["create-api-key", "--help"], &["help", "serve"]] {
        let out = std::process::Command::new(bin)
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("Usage: wallet-ledger"), "{args:?}: {text}");
    }
    let out = std::process::Command::new(bin)
        .arg("nonsense")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognized subcommand"));
}

/// Finding 10: bodies are JSON only when declared so; actions take no body.
#[actix_web::test]
async fn bodies_must_be_declared_json_and_actions_take_none() {
    let app = spawn_app().await;
    let body = br#"{"name": "typed"}"#.to_vec();
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "application/xml"] {
        let r = app
            .send(
                "POST",
                "/v1/ledgers",
                Some(&app.admin_key),
                &[("Content-Type", content_type)],
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (r.status, r.problem_type()),
            (415, "unsupported_media_type"),
            "{content_type}"
        );
    }
    let r = app
        .send(
            "POST",
            "/v1/ledgers",
            Some(&app.admin_key),
            &[("Content-Type", "application/json; charset=utf-8")],
            Some(body),
        )
        .await;
    assert_eq!(r.status, 201);
    let ledger = app.ledger().await;
    let w = app.wallet(&ledger, "w").await;
    let t = app.deposit(&ledger, &w, "1.00").await;
    let reverse = format!("/v1/transactions/{}/reverse", t["id"].as_str().unwrap());
    for (body, content_type, status) in [
        (&b"{"[..], "application/json", 400),
        (b"{\"amount\": \"1.00\"}", "application/json", 422),
        (b"{}", "text/plain", 415),
    ] {
        let r = app
            .send(
                "POST",
                &reverse,
                Some(&app.admin_key),
                &[("Content-Type", content_type)],
                Some(body.to_vec()),
            )
            .await;
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(body));
    }
    assert_eq!(app.transaction_count(&ledger).await, 1, "nothing was reversed");
    assert_eq!(
        app.send("POST", &reverse, Some(&app.admin_key), &[], None).await.status,
        201
    );
}

/// Finding 11: each conflict has its own problem type.
#[actix_web::test]
async fn each_conflict_has_its_own_problem_type() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let w = app.wallet(&ledger, "w").await;
    let mut seen = BTreeMap::new();
    let code = json!({"ledger_id": ledger, "name": "ops", "code": "bank:ops", "kind": "asset", "currency": "USD"});
    app.expect("/v1/accounts", code.clone(), 201).await;
    seen.insert("code_taken", app.post("/v1/accounts", code).await);
    let dep = json!({"ledger_id": ledger, "wallet_id": w, "amount": "5.00", "currency": "USD", "external_id": "x-1"});
    let t = app.expect("/v1/deposits", dep.clone(), 201).await;
    seen.insert("external_id_taken", app.post("/v1/deposits", dep).await);
    let id = t["id"].as_str().unwrap();
    seen.insert(
        "invalid_transition",
        app.post(&format!("/v1/transactions/{id}/archive"), json!({})).await,
    );
    app.expect(&format!("/v1/transactions/{id}/reverse"), json!({}), 201)
        .await;
    seen.insert(
        "already_reversed",
        app.post(&format!("/v1/transactions/{id}/reverse"), json!({})).await,
    );
    // (system_account_mismatch cannot arise through the API: system codes are
    // reserved; the contract suite covers the store-level case)
    for (kind, r) in &seen {
        assert_eq!((r.status, r.problem_type()), (409, *kind), "{}", r.body);
    }
}
