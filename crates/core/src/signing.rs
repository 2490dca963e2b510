//! TerraAPI request signing (terra-api.md §1): a pure function of the request and the time.
//!
//! ```text
//! date: <Date>
//! @request-target: <method in lower case> <path with query>
//! digest: SHA-256=<base64 sha256 of the body bytes>
//! ```
//! signed with HMAC-SHA256 keyed by the SecretKey, base64-encoded.

use crate::SecretKey;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::time::SystemTime;

/// The three headers a signed request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub date: String,
    pub digest: String,
    pub authorization: String,
}

/// `SHA-256=<base64>` of the exact body bytes.
pub fn digest(body: &[u8]) -> String {
    format!("SHA-256={}", B64.encode(Sha256::digest(body)))
}

/// RFC 1123 in GMT: `Fri, 27 Nov 2026 17:43:25 GMT`.
pub fn http_date(time: SystemTime) -> String {
    httpdate::fmt_http_date(time)
}

/// The string the HMAC covers.
pub fn signing_string(date: &str, method: &str, path_and_query: &str, digest: &str) -> String {
    format!(
        "date: {date}\n@request-target: {} {path_and_query}\ndigest: {digest}",
        method.to_ascii_lowercase()
    )
}

/// base64(HMAC-SHA256(secret, signing string)).
pub fn signature(secret: &SecretKey, signing_string: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key length");
    mac.update(signing_string.as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

/// Sign a request at `time`.
pub fn sign(
    method: &str,
    path_and_query: &str,
    body: &[u8],
    access_key: &str,
    secret: &SecretKey,
    time: SystemTime,
) -> SignedHeaders {
    sign_with_date(method, path_and_query, body, access_key, secret, &http_date(time))
}

/// Sign a request with an already formatted `Date` value.
pub fn sign_with_date(
    method: &str,
    path_and_query: &str,
    body: &[u8],
    access_key: &str,
    secret: &SecretKey,
    date: &str,
) -> SignedHeaders {
    let digest = digest(body);
    let sig = signature(secret, &signing_string(date, method, path_and_query, &digest));
    SignedHeaders {
        date: date.to_string(),
        authorization: format!(
            "hmac username=\"{access_key}\", algorithm=\"hmac-sha256\", headers=\"date @request-target digest\", signature=\"{sig}\""
        ),
        digest,
    }
}

/// The parts of an `Authorization: hmac …` header, as the gateway reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HmacAuthorization {
    pub username: String,
    pub algorithm: String,
    pub headers: Vec<String>,
    pub signature: String,
}

/// Parse `hmac username="…", algorithm="…", headers="…", signature="…"`.
pub fn parse_authorization(value: &str) -> Option<HmacAuthorization> {
    let rest = value.trim().strip_prefix("hmac ").or_else(|| value.trim().strip_prefix("HMAC "))?;
    let (mut username, mut algorithm, mut headers, mut signature) = (None, None, None, None);
    for part in split_params(rest) {
        let (k, v) = part.split_once('=')?;
        let v = v.trim().trim_matches('"').to_string();
        match k.trim() {
            "username" => username = Some(v),
            "algorithm" => algorithm = Some(v),
            "headers" => headers = Some(v.split_whitespace().map(|h| h.to_ascii_lowercase()).collect()),
            "signature" => signature = Some(v),
            _ => {}
        }
    }
    Some(HmacAuthorization { username: username?, algorithm: algorithm?, headers: headers?, signature: signature? })
}

/// Split on commas outside quotes (signatures contain `=`, never `,` or `"`).
fn split_params(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// Constant-time comparison for signatures.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_body_digest_matches_the_contract() {
        assert_eq!(digest(b""), "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    }

    #[test]
    fn http_date_is_rfc1123_gmt() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_801_405);
        assert_eq!(http_date(t), "Fri, 27 Nov 2026 17:43:25 GMT");
    }

    #[test]
    fn authorization_round_trips() {
        let h = sign_with_date("GET", "/x", b"", "AK", &SecretKey::new("SK"), "Mon, 01 Jan 2024 00:00:00 GMT");
        let a = parse_authorization(&h.authorization).unwrap();
        assert_eq!(a.username, "AK");
        assert_eq!(a.algorithm, "hmac-sha256");
        assert_eq!(a.headers, vec!["date", "@request-target", "digest"]);
        assert!(h.authorization.ends_with(&format!("signature=\"{}\"", a.signature)));
    }
}
