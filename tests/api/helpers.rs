use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer};
use ledger_domain::access::{ApiKeyStore, Scope};
use ledger_http::AppState;
use ledger_http::auth::new_api_key;
use ledger_postgres::testing::TestDatabase;
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    pub admin_key: String,
    pub write_key: String,
    pub read_key: String,
    pub client: awc::Client,
    pub db: TestDatabase,
}

/// What a request answered.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: awc::http::header::HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Reply {
    pub fn problem_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or("")
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("an id").to_owned()
    }
}

/// Starts the server on a free port against a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|state| state).await
}

/// [`spawn_app`] with the shared state adjusted (e.g. a rate limit).
pub async fn spawn_app_with(adjust: impl FnOnce(AppState) -> AppState) -> TestApp {
    let db = TestDatabase::create();
    let store = db.store(10);
    let now = ledger_domain::ports::truncate_to_micros(chrono::Utc::now());
    let mut keys = Vec::new();
    for scope in [Scope::Admin, Scope::Write, Scope::Read] {
        let (secret, key) = new_api_key("test", scope, now);
        store.insert_api_key(&key).unwrap();
        keys.push(secret);
    }
    let state = adjust(AppState::new(Arc::new(store)));
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(ledger_http::metrics::record))
            .configure(ledger_blnk::configure)
            .configure(ledger_mt::configure)
            .configure(ledger_http::configure(state.clone()))
    })
    .workers(2)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = format!("http://{}", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    TestApp {
        address,
        admin_key: keys[0].clone(),
        write_key: keys[1].clone(),
        read_key: keys[2].clone(),
        client: awc::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .finish(),
        db,
    }
}

impl TestApp {
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.address));
        if let Some(k) = key {
            req = req.insert_header(("Authorization", format!("Bearer {k}")));
        }
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let typed = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
        if body.is_some() && !typed {
            req = req.insert_header(("Content-Type", "application/json"));
        }
        let mut res = match body {
            Some(b) => req.send_body(b).await.unwrap(),
            None => req.send().await.unwrap(),
        };
        let raw = res.body().limit(50 * 1024 * 1024).await.unwrap().to_vec();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        Reply {
            status: res.status().as_u16(),
            content_type,
            headers: res.headers().clone(),
            body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
            raw,
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(
            "POST",
            path,
            Some(&self.admin_key),
            &[],
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn post_with_key(&self, path: &str, body: Value, idempotency_key: &str) -> Reply {
        self.send(
            "POST",
            path,
            Some(&self.admin_key),
            &[("Idempotency-Key", idempotency_key)],
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, Some(&self.read_key), &[], None).await
    }

    /// POST that must answer `status`; returns the body.
    pub async fn expect(&self, path: &str, body: Value, status: u16) -> Value {
        let r = self.post(path, body).await;
        assert_eq!(r.status, status, "POST {path}: {}", r.body);
        r.body
    }

    pub async fn ledger(&self) -> String {
        self.expect("/v1/ledgers", json!({"name": "test ledger"}), 201).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn account(&self, ledger: &str, name: &str, kind: &str, currency: &str, extra: Value) -> String {
        let mut body = json!({"ledger_id": ledger, "name": name, "kind": kind, "currency": currency});
        if let Value::Object(extra) = extra {
            body.as_object_mut().unwrap().extend(extra);
        }
        self.expect("/v1/accounts", body, 201).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn wallet(&self, ledger: &str, name: &str) -> String {
        self.account(ledger, name, "liability", "USD", json!({})).await
    }

    pub async fn deposit(&self, ledger: &str, wallet: &str, amount: &str) -> Value {
        self.expect(
            "/v1/deposits",
            json!({"ledger_id": ledger, "wallet_id": wallet, "amount": amount, "currency": "USD"}),
            201,
        )
        .await
    }

    /// Balance amount of an account: `which` is posted, pending or available.
    pub async fn balance(&self, account: &str, which: &str) -> String {
        let r = self.get(&format!("/v1/accounts/{account}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["balances"][which]["amount"].as_str().unwrap().to_owned()
    }

    pub async fn find_account_by_code(&self, ledger: &str, code: &str) -> String {
        let r = self.get(&format!("/v1/accounts?ledger_id={ledger}&limit=100")).await;
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["code"] == code)
            .unwrap_or_else(|| panic!("no account {code}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn transaction_count(&self, ledger: &str) -> usize {
        let r = self
            .get(&format!("/v1/transactions?ledger_id={ledger}&limit=100"))
            .await;
        r.body["data"].as_array().unwrap().len()
    }
}

/// `Authorization: Basic` for `org:<key>` (standard base64, written out here).
pub fn basic_auth(key: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("org:{key}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[usize::try_from((n >> (18 - 6 * i)) & 63).unwrap()]));
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}
