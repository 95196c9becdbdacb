//! Every operation of the three committed OpenAPI documents that needs a key
//! (native, Blnk, Modern Treasury), called with no key, a wrong key, a revoked
//! key and — for what `read` may not do — a `read` key: each is refused (401,
//! 401, 401, 403) in its dialect's own error shape, and nothing is written.

use serde_json::{Value, json};

use crate::helpers::{TestApp, basic_auth, spawn_app};

const DOCUMENTS: [(&str, &str); 3] = [
    ("native", include_str!("../../openapi/openapi.json")),
    ("blnk", include_str!("../../openapi/blnk.json")),
    ("mt", include_str!("../../openapi/mt.json")),
];

/// `(dialect, method, path)` of every operation with a security requirement,
/// path parameters filled with ids that exist nowhere.
fn keyed_operations() -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for (dialect, text) in DOCUMENTS {
        let doc: Value = serde_json::from_str(text).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if op
                    .get("security")
                    .is_none_or(|s| s.as_array().is_none_or(Vec::is_empty))
                {
                    continue;
                }
                let filled: Vec<String> = path
                    .split('/')
                    .map(|seg| match seg {
                        "{currency}" => "USD".to_owned(),
                        s if s.starts_with('{') => uuid::Uuid::now_v7().to_string(),
                        s => s.to_owned(),
                    })
                    .collect();
                out.push((dialect, method.to_uppercase(), filled.join("/")));
            }
        }
    }
    out
}

/// The header that carries `key` in `dialect`.
fn credentials(dialect: &str, key: &str) -> (&'static str, String) {
    match dialect {
        "blnk" => ("X-Blnk-Key", key.to_owned()),
        "mt" => ("Authorization", basic_auth(key)),
        _ => ("Authorization", format!("Bearer {key}")),
    }
}

/// The refusal `code` in `dialect`'s error shape.
fn refusal(dialect: &str, body: &Value) -> String {
    let code = match dialect {
        "blnk" => &body["error_detail"]["code"],
        "mt" => &body["errors"]["code"],
        _ => &body["type"],
    };
    code.as_str().unwrap_or("").to_owned()
}

async fn call(app: &TestApp, dialect: &str, method: &str, path: &str, key: Option<&str>) -> (u16, String) {
    let header = key.map(|k| credentials(dialect, k));
    let headers: Vec<(&str, &str)> = header.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let body = (method != "GET").then(|| b"{}".to_vec());
    let r = app.send(method, path, None, &headers, body).await;
    (r.status, refusal(dialect, &r.body))
}

#[actix_web::test]
async fn every_keyed_route_of_every_dialect_refuses_missing_wrong_revoked_and_underscoped_keys() {
    let app = spawn_app().await;
    let spare = app
        .expect("/v1/api-keys", json!({"name": "soon revoked", "scope": "admin"}), 201)
        .await;
    let revoked = spare["secret"].as_str().unwrap().to_owned();
    let r = app
        .send(
            "POST",
            &format!("/v1/api-keys/{}/revoke", spare["id"].as_str().unwrap()),
            Some(&app.admin_key),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let wrong = format!("wlk_{}", "0".repeat(64));

    let operations = keyed_operations();
    assert!(
        operations.len() >= 55,
        "only {} keyed operations found",
        operations.len()
    );
    let mut checked = 0;
    for (dialect, method, path) in &operations {
        for (what, key) in [
            ("no key", None),
            ("a wrong key", Some(wrong.as_str())),
            ("a revoked key", Some(revoked.as_str())),
        ] {
            let (status, code) = call(&app, dialect, method, path, key).await;
            assert_eq!(status, 401, "{dialect} {method} {path} with {what}: {code}");
            let expected = match *dialect {
                "blnk" if key.is_none() => "AUTH_MISSING_API_KEY",
                "blnk" => "AUTH_INVALID_API_KEY",
                _ => "unauthorized",
            };
            assert_eq!(code, expected, "{dialect} {method} {path} with {what}");
            checked += 1;
        }
        // a read key may read, except keys themselves
        if method != "GET" || path.starts_with("/v1/api-keys") {
            let (status, code) = call(&app, dialect, method, path, Some(&app.read_key)).await;
            assert_eq!(status, 403, "{dialect} {method} {path} with a read key: {code}");
            let expected = if *dialect == "blnk" {
                "AUTH_FORBIDDEN"
            } else {
                "forbidden"
            };
            assert_eq!(code, expected, "{dialect} {method} {path} with a read key");
            checked += 1;
        }
    }
    eprintln!("{} keyed operations, {checked} refusals checked", operations.len());

    // nothing was written: no ledger, and the keys are the three test keys and the revoked one
    assert_eq!(app.get("/v1/ledgers").await.body["data"], json!([]));
    let keys = app.send("GET", "/v1/api-keys", Some(&app.admin_key), &[], None).await;
    assert_eq!(keys.body["data"].as_array().unwrap().len(), 4, "{}", keys.body);
}
