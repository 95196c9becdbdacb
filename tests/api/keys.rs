//! API keys over the API: an admin creates a key (its secret shown once),
//! lists keys (never a secret), revokes one (refused at once), and nobody
//! else may do any of it.

use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn an_admin_creates_lists_and_revokes_keys_and_the_secret_is_shown_once() {
    let app = spawn_app().await;
    let ledger = app.ledger().await;
    let created = app
        .expect(
            "/v1/api-keys",
            json!({"name": "payouts service", "scope": "write"}),
            201,
        )
        .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("wlk_") && secret.len() == 68, "{created}");
    assert!(secret.starts_with(created["prefix"].as_str().unwrap()));
    assert_eq!(
        (created["name"].as_str(), created["scope"].as_str()),
        (Some("payouts service"), Some("write"))
    );

    // the new key works, with its scope
    let wallet = app
        .send(
            "POST",
            "/v1/accounts",
            Some(&secret),
            &[],
            Some(
                json!({"ledger_id": ledger, "name": "w", "kind": "liability", "currency": "USD"})
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await;
    assert_eq!(wallet.status, 201, "{}", wallet.body);
    let open = app
        .send(
            "POST",
            "/v1/ledgers",
            Some(&secret),
            &[],
            Some(json!({"name": "x"}).to_string().into_bytes()),
        )
        .await;
    assert_eq!(open.status, 403, "a write key cannot open ledgers");

    // listed, read back field by field, never with a secret or a hash
    let list = app
        .send("GET", "/v1/api-keys?limit=100", Some(&app.admin_key), &[], None)
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    let listed = list.body["data"].as_array().unwrap();
    assert_eq!(listed.len(), 4, "the three test keys and the new one: {}", list.body);
    let mine = listed.iter().find(|k| k["id"] == id.as_str()).unwrap();
    for field in ["id", "name", "prefix", "scope", "created_at"] {
        assert_eq!(mine[field], created[field], "{field}");
    }
    assert!(mine["revoked_at"].is_null());
    assert!(
        !list.raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "no secret in a list"
    );
    for k in listed {
        assert!(k.get("secret").is_none() && k.get("key_hash").is_none(), "{k}");
    }

    // only admin keys manage keys, reading included
    for key in [&app.write_key, &app.read_key, &secret] {
        assert_eq!(app.send("GET", "/v1/api-keys", Some(key), &[], None).await.status, 403);
        let r = app
            .send("POST", &format!("/v1/api-keys/{id}/revoke"), Some(key), &[], None)
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
    }

    // revoked: refused at once (though it was just used and cached), listed as revoked
    let revoked = app
        .send(
            "POST",
            &format!("/v1/api-keys/{id}/revoke"),
            Some(&app.admin_key),
            &[],
            None,
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let at = revoked.body["revoked_at"].as_str().unwrap().to_owned();
    let refused = app.send("GET", "/v1/ledgers", Some(&secret), &[], None).await;
    assert_eq!(
        (refused.status, refused.problem_type()),
        (401, "unauthorized"),
        "{}",
        refused.body
    );
    let again = app
        .send(
            "POST",
            &format!("/v1/api-keys/{id}/revoke"),
            Some(&app.admin_key),
            &[],
            None,
        )
        .await;
    assert_eq!(
        (again.status, again.body["revoked_at"].as_str()),
        (200, Some(at.as_str()))
    );
    let list = app
        .send("GET", "/v1/api-keys?limit=100", Some(&app.admin_key), &[], None)
        .await;
    let mine = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["revoked_at"].as_str(), Some(at.as_str()));

    let missing = app
        .send(
            "POST",
            &format!("/v1/api-keys/{}/revoke", uuid::Uuid::now_v7()),
            Some(&app.admin_key),
            &[],
            None,
        )
        .await;
    assert_eq!((missing.status, missing.problem_type()), (404, "not_found"));
    // a key cannot revoke itself
    let list = app
        .send("GET", "/v1/api-keys?limit=100", Some(&app.admin_key), &[], None)
        .await;
    let admin_id = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| app.admin_key.starts_with(k["prefix"].as_str().unwrap()) && k["scope"] == "admin")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let own = app
        .send(
            "POST",
            &format!("/v1/api-keys/{admin_id}/revoke"),
            Some(&app.admin_key),
            &[],
            None,
        )
        .await;
    assert_eq!((own.status, own.problem_type()), (409, "conflict"), "{}", own.body);
    assert_eq!(app.get("/v1/ledgers").await.status, 200);
    assert_eq!(
        app.send("GET", "/v1/api-keys", Some(&app.admin_key), &[], None)
            .await
            .status,
        200,
        "the admin key still works"
    );
    let bad = app.post("/v1/api-keys", json!({"name": "", "scope": "root"})).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
}
