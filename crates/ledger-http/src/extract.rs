//! Request decoding: JSON bodies (size-limited, with field paths in errors),
//! query strings (with `metadata[key]=value` filters) and opaque cursors.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ApiError;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON body with the fingerprint of the request it came in (method, path
/// and bytes), for idempotency.
#[derive(Debug)]
pub struct ApiJson<T> {
    pub value: T,
    pub fingerprint: String,
}

pub fn fingerprint(req: &HttpRequest, body: &[u8]) -> String {
    request_fingerprint(req.method().as_str(), req.path(), body)
}

/// What identifies a request for idempotency: its method, path and body bytes.
pub fn request_fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// True when a JSON value holds a NUL character in any key or string, which
/// PostgreSQL text and jsonb cannot store.
fn has_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(has_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::malformed(format!("the body is not valid JSON: {e}")))?;
    if has_nul(&value) {
        return Err(ApiError::validation(
            "body",
            "text must not contain NUL (\\u0000) characters",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::validation(field, e.into_inner().to_string())
    })
}

/// Whether the request declares a JSON body (`application/json`, any
/// parameters such as `charset=utf-8`).
fn declares_json(req: &HttpRequest) -> bool {
    use actix_web::HttpMessage;
    matches!(req.mime_type(), Ok(Some(m)) if m.type_() == "application" && m.subtype() == "json" && m.suffix().is_none())
}

/// Reads at most [`MAX_BODY_BYTES`], whether the body declares its length or
/// arrives chunked.
async fn read_body(mut payload: Payload) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::malformed(format!("cannot read the body: {e}")))?;
        if body.len().saturating_add(chunk.len()) > MAX_BODY_BYTES {
            return Err(ApiError::too_large(MAX_BODY_BYTES));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The body of an action (post, archive, reverse): none, or an empty JSON
/// object. Anything else is refused, so a client that believes it sends
/// parameters learns that they would be ignored.
#[derive(Debug)]
pub struct EmptyBody;

impl FromRequest for EmptyBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = declares_json(req);
        let payload = payload.take();
        Box::pin(async move {
            let body = read_body(payload).await?;
            if body.is_empty() {
                return Ok(EmptyBody);
            }
            if !json {
                return Err(ApiError::unsupported_media_type());
            }
            let value: serde_json::Map<String, serde_json::Value> = parse_json(&body)?;
            if !value.is_empty() {
                return Err(ApiError::validation(
                    "body",
                    "this action takes no parameters: send no body or `{}`",
                ));
            }
            Ok(EmptyBody)
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    /// Reads at most [`MAX_BODY_BYTES`] of a body declared as
    /// `application/json` (415 otherwise), then parses it.
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        Self::extract(req, payload, true)
    }
}

impl<T: DeserializeOwned + 'static> ApiJson<T> {
    /// Reads and parses the body; with `require_json`, a body not declared
    /// `application/json` is a 415 (a dialect whose clients send JSON under
    /// any content type, as Blnk's do, passes `false`).
    pub fn extract(
        req: &HttpRequest,
        payload: &mut Payload,
        require_json: bool,
    ) -> Pin<Box<dyn Future<Output = Result<Self, ApiError>>>> {
        let req = req.clone();
        let json = declares_json(&req);
        let payload = payload.take();
        Box::pin(async move {
            if require_json && !json {
                return Err(ApiError::unsupported_media_type());
            }
            let body = read_body(payload).await?;
            let value = parse_json(&body)?;
            Ok(ApiJson {
                value,
                fingerprint: fingerprint(&req, &body),
            })
        })
    }
}

/// A parsed query string: typed parameters plus `metadata[key]=value` pairs.
#[derive(Debug)]
pub struct ListQuery<T> {
    pub params: T,
    pub metadata: Vec<(String, String)>,
}

pub fn parse_query<T: DeserializeOwned>(req: &HttpRequest) -> Result<ListQuery<T>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::malformed(format!("query string: {e}")))?;
    let mut metadata = Vec::new();
    let mut rest = Vec::new();
    for (k, v) in pairs {
        if k.contains('\0') || v.contains('\0') {
            return Err(ApiError::validation(
                "query",
                "parameters must not contain NUL characters",
            ));
        }
        if let Some(key) = k.strip_prefix("metadata[").and_then(|k| k.strip_suffix(']')) {
            if key.is_empty() || key.contains(['[', ']']) {
                return Err(ApiError::validation(
                    "metadata",
                    "metadata filters look like metadata[key]=value",
                ));
            }
            metadata.push((key.to_owned(), v));
        } else {
            rest.push((k, v));
        }
    }
    let encoded = serde_urlencoded::to_string(&rest).map_err(|e| ApiError::malformed(e.to_string()))?;
    let params = serde_urlencoded::from_str::<T>(&encoded).map_err(|e| {
        let message = e.to_string();
        ApiError::validation("query", message)
    })?;
    Ok(ListQuery { params, metadata })
}

/// Page size: 1 to 100, default 50.
pub fn page_limit(limit: Option<i64>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(50),
        Some(n) if (1..=100).contains(&n) => Ok(usize::try_from(n).unwrap_or(50)),
        Some(_) => Err(ApiError::validation("limit", "must be between 1 and 100")),
    }
}

/// Cursors are opaque to clients: hex of a versioned position.
pub fn encode_cursor(position: &str) -> String {
    hex::encode(format!("v1:{position}"))
}

pub fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::validation("cursor", "not a cursor this API issued");
    let bytes = hex::decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix("v1:").map(str::to_owned).ok_or_else(invalid)
}

pub fn decode_id_cursor(cursor: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    cursor
        .map(|c| {
            let position = decode_cursor(c)?;
            Uuid::parse_str(&position).map_err(|_| ApiError::validation("cursor", "not a cursor this API issued"))
        })
        .transpose()
}

/// The next-page cursor for id-ordered lists: present when the page is full.
pub fn next_id_cursor(last: Option<Uuid>, returned: usize, limit: usize) -> Option<String> {
    if returned < limit {
        return None;
    }
    last.map(|id| encode_cursor(&id.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        let id = Uuid::now_v7();
        let c = encode_cursor(&id.to_string());
        assert_eq!(decode_id_cursor(Some(&c)).unwrap(), Some(id));
        assert!(decode_id_cursor(Some("zz")).is_err());
        assert!(decode_id_cursor(Some(&hex::encode("v2:x"))).is_err());
    }

    #[test]
    fn json_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            amount: String,
        }
        let e = parse_json::<T>(br#"{"amount": 5}"#).unwrap_err();
        assert_eq!(e.status.as_u16(), 422);
        assert_eq!(e.errors[0].field, "amount");
        let e = parse_json::<T>(b"{not json").unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
    }
}
