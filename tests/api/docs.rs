//! The API describes itself: OpenAPI document, Swagger UI, health, metrics.

use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_committed_openapi_document_equals_the_generated_one() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.json"))
        .expect("openapi/openapi.json is committed");
    assert!(
        committed == ledger_http::openapi_json(),
        "openapi/openapi.json is stale: run `make openapi` and commit it"
    );
}

#[actix_web::test]
async fn the_committed_blnk_document_equals_the_generated_one() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/blnk.json"))
        .expect("openapi/blnk.json is committed");
    assert!(
        committed == ledger_blnk::openapi_json(),
        "openapi/blnk.json is stale: run `make openapi` and commit it"
    );
}

#[actix_web::test]
async fn the_committed_mt_document_equals_the_generated_one() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/mt.json"))
        .expect("openapi/mt.json is committed");
    assert!(
        committed == ledger_mt::openapi_json(),
        "openapi/mt.json is stale: run `make openapi` and commit it"
    );
}

#[actix_web::test]
async fn the_served_document_is_the_committed_one() {
    let app = spawn_app().await;
    let r = app.send("GET", "/openapi.json", None, &[], None).await;
    assert_eq!(String::from_utf8_lossy(&r.raw), ledger_http::openapi_json());
}

#[actix_web::test]
async fn every_route_is_documented_with_descriptions_and_bearer_security() {
    let app = spawn_app().await;
    let r = app.send("GET", "/openapi.json", None, &[], None).await;
    assert_eq!(r.status, 200);
    let doc = r.body;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/v1/ledgers",
        "/v1/ledgers/{id}",
        "/v1/identities",
        "/v1/identities/{id}",
        "/v1/accounts",
        "/v1/accounts/{id}",
        "/v1/accounts/{id}/entries",
        "/v1/categories",
        "/v1/categories/{id}",
        "/v1/categories/{id}/members",
        "/v1/transactions",
        "/v1/transactions/{id}",
        "/v1/transactions/{id}/post",
        "/v1/transactions/{id}/archive",
        "/v1/transactions/{id}/reverse",
        "/v1/deposits",
        "/v1/transfers",
        "/v1/withdrawals",
        "/health/live",
        "/health/ready",
        "/metrics",
    ] {
        let item = paths.get(p).unwrap_or_else(|| panic!("{p} is not documented"));
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["description"].is_string() || op["summary"].is_string(),
                "{method} {p} has no description"
            );
            if p.starts_with("/v1") {
                assert!(
                    op["security"].is_array(),
                    "{method} {p} does not declare the bearer key"
                );
            }
        }
    }
}

#[actix_web::test]
async fn swagger_ui_health_and_metrics_are_open() {
    let app = spawn_app().await;
    let r = app.send("GET", "/docs/", None, &[], None).await;
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.raw).contains("swagger"), "Swagger UI page");
    assert_eq!(app.send("GET", "/health/live", None, &[], None).await.status, 200);
    assert_eq!(
        app.send("GET", "/health/ready", None, &[], None).await.body["status"],
        "ok"
    );
    app.get("/v1/ledgers").await;
    let m = app.send("GET", "/metrics", None, &[], None).await;
    let text = String::from_utf8_lossy(&m.raw);
    assert!(
        text.contains("wallet_ledger_http_requests_total{method=\"GET\",route=\"/v1/ledgers\",status=\"200\"} 1"),
        "{text}"
    );
}
