//! The gateway's HMAC check, as Kong's hmac-auth plugin does it (terra-api.md §1): a bare
//! `{"message": …}` with 401 on failure, outside the envelope.

use crate::model::State;
use http::{HeaderMap, Method, StatusCode};
use terradesk_core::signing;
use terradesk_core::SecretKey;

pub const MSG_NO_DATE: &str =
    "HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication";
pub const MSG_MISMATCH: &str = "HMAC signature does not match";
pub const MSG_UNAUTHORIZED: &str = "Unauthorized";

/// Check a request; `Err` holds the status and bare message to answer.
pub fn verify(state: &State, method: &Method, path_and_query: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), (StatusCode, &'static str)> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let auth = header("authorization")
        .and_then(signing::parse_authorization)
        .ok_or((StatusCode::UNAUTHORIZED, MSG_UNAUTHORIZED))?;
    if !auth.algorithm.eq_ignore_ascii_case("hmac-sha256") {
        return Err((StatusCode::UNAUTHORIZED, MSG_MISMATCH));
    }
    // The date: X-Date when signed, else Date; within the allowed skew.
    let date_name = if auth.headers.iter().any(|h| h == "x-date") { "x-date" } else { "date" };
    let date = header(date_name).ok_or((StatusCode::UNAUTHORIZED, MSG_NO_DATE))?;
    let when = httpdate::parse_http_date(date).map_err(|_| (StatusCode::UNAUTHORIZED, MSG_NO_DATE))?;
    let skew = match when.duration_since(crate::model::shifted_now(state.config.clock_offset_secs)) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > state.config.max_clock_skew {
        return Err((StatusCode::UNAUTHORIZED, MSG_NO_DATE));
    }
    if !auth.headers.iter().any(|h| h == "date" || h == "x-date") {
        return Err((StatusCode::UNAUTHORIZED, MSG_NO_DATE));
    }
    // The signature must cover what the request does and what it carries.
    if !auth.headers.iter().any(|h| h == "@request-target") || !auth.headers.iter().any(|h| h == "digest") {
        return Err((StatusCode::UNAUTHORIZED, MSG_MISMATCH));
    }
    if auth.username != state.config.access_key {
        return Err((StatusCode::UNAUTHORIZED, MSG_UNAUTHORIZED));
    }
    // The body must be what the Digest says.
    if let Some(d) = header("digest") {
        if d != signing::digest(body) {
            return Err((StatusCode::UNAUTHORIZED, MSG_MISMATCH));
        }
    } else if !body.is_empty() || auth.headers.iter().any(|h| h == "digest") {
        return Err((StatusCode::UNAUTHORIZED, MSG_MISMATCH));
    }
    // The signing string over the listed headers, in their order.
    let mut lines = Vec::new();
    for h in &auth.headers {
        let line = match h.as_str() {
            "@request-target" => format!("@request-target: {} {}", method.as_str().to_ascii_lowercase(), path_and_query),
            "request-line" => format!("{} {} HTTP/1.1", method.as_str(), path_and_query),
            name => format!("{name}: {}", header(name).ok_or((StatusCode::UNAUTHORIZED, MSG_MISMATCH))?),
        };
        lines.push(line);
    }
    let expected = signing::signature(&SecretKey::new(state.config.secret_key.clone()), &lines.join("\n"));
    if !signing::constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err((StatusCode::UNAUTHORIZED, MSG_MISMATCH));
    }
    Ok(())
}
