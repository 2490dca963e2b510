//! Turning what the gateway and the service answer into [`Error`]s.

use super::types::{Envelope, EnvelopeResult};
use crate::Error;
use std::time::SystemTime;

/// Seconds the server's clock is ahead of ours (negative: behind), from a response's `Date`.
pub fn measured_clock_offset(date_header: Option<&str>, now: SystemTime) -> Option<i64> {
    let server = httpdate::parse_http_date(date_header?).ok()?;
    Some(match server.duration_since(now) {
        Ok(ahead) => ahead.as_secs() as i64,
        Err(behind) => -(behind.duration().as_secs() as i64),
    })
}

/// The gateway allows 300 s; call anything past 240 s a clock problem.
const SKEW_LIMIT_SECS: i64 = 240;

/// Map a complete response to `Ok(data)` or an error. `what` names the object for not-found errors.
pub fn classify_response(
    status: u16,
    date_header: Option<&str>,
    now: SystemTime,
    body: &[u8],
    what: &str,
) -> Result<serde_json::Value, Error> {
    let envelope: Option<Envelope> = serde_json::from_slice(body).ok();
    let result: Option<EnvelopeResult> = envelope.as_ref().and_then(|e| e.result.clone());

    // A proxy between here and the service wants (other) credentials.
    if status == 407 {
        return Err(Error::ProxyAuth);
    }
    // Throttled (a gateway's 429, enveloped or not).
    if status == 429 {
        return Err(Error::RateLimited { retry_after_secs: None });
    }
    // The gateway's bare auth errors: {"message": "..."} with 401/403.
    if result.is_none() && (status == 401 || status == 403) {
        let message = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
        // Our clock, the server's clock: a wrong clock is the likelier reason whatever the text.
        let offset = measured_clock_offset(date_header, now);
        let lower = message.to_ascii_lowercase();
        if let Some(off) = offset {
            if off.abs() > SKEW_LIMIT_SECS || lower.contains("date") && lower.contains("skew") {
                return Err(Error::ClockSkew { offset_secs: -off });
            }
        }
        if lower.contains("date") && !lower.contains("signature") {
            return Err(Error::ClockSkew { offset_secs: offset.map(|o| -o).unwrap_or(0) });
        }
        return Err(Error::WrongKeys);
    }

    match result {
        Some(r) if r.code == 0 => Ok(envelope.map(|e| e.data).unwrap_or_default()),
        Some(r) => Err(match r.code {
            701 => Error::WrongKeys,
            801 => Error::TooManyJobs { message: r.message() },
            102001 => Error::InvalidParameters { message: r.message() },
            102002 | 102114 => Error::NotFound { what: what.to_string() },
            102000 => Error::Server { detail: r.message() },
            _ if status >= 500 => Error::Server { detail: format!("HTTP {status}: {}", r.message()) },
            code => Error::Refused { api_code: code, message: r.message() },
        }),
        None if status >= 500 => Err(Error::Server { detail: format!("HTTP {status}") }),
        None if status == 404 => Err(Error::NotFound { what: what.to_string() }),
        None if (200..300).contains(&status) => {
            // An empty answer (a delete) is taken as it is. Anything else without the envelope,
            // JSON or not (a captive portal's login page, a proxy's notice), is not the
            // service's answer: taking it as success would leave a job "started" that never was.
            if body.iter().all(|b| b.is_ascii_whitespace()) {
                return Ok(serde_json::Value::Null);
            }
            let kind = if serde_json::from_slice::<serde_json::Value>(body).is_ok() { "JSON without the service's envelope" } else { "not JSON" };
            Err(Error::BadAnswer { what: what.to_string(), detail: format!("HTTP {status}, {kind}: {}", String::from_utf8_lossy(&body[..body.len().min(120)]).trim()) })
        }
        None => Err(Error::Refused {
            api_code: status as i64,
            message: format!("HTTP {status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)])),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use std::time::Duration;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_801_405)
    }

    #[test]
    fn bare_signature_error_is_wrong_keys() {
        let e = classify_response(401, Some("Fri, 27 Nov 2026 17:43:30 GMT"), now(), br#"{"message":"HMAC signature does not match"}"#, "x").unwrap_err();
        assert_eq!(e.code(), ErrorCode::WrongKeys);
    }

    #[test]
    fn far_server_date_is_clock_skew_with_our_offset() {
        // Server says 17:53:25, we think 17:43:25: our clock is 600 s behind.
        let e = classify_response(401, Some("Fri, 27 Nov 2026 17:53:25 GMT"), now(), br#"{"message":"HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication"}"#, "x").unwrap_err();
        match e {
            Error::ClockSkew { offset_secs } => assert_eq!(offset_secs, -600),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn envelope_codes_map_to_kinds() {
        let body = |code: i64| format!(r#"{{"result":{{"code":{code},"msg":"m","desc":"d"}},"data":null}}"#);
        let kind = |status: u16, code: i64| classify_response(status, None, now(), body(code).as_bytes(), "Job J").unwrap_err().code();
        assert_eq!(kind(200, 801), ErrorCode::TooManyJobs);
        assert_eq!(kind(400, 102001), ErrorCode::InvalidParameters);
        assert_eq!(kind(404, 102114), ErrorCode::NotFound);
        assert_eq!(kind(500, 102000), ErrorCode::Server);
        assert_eq!(kind(200, 102116), ErrorCode::Refused);
        let ok = classify_response(200, None, now(), br#"{"result":{"code":0},"data":{"a":1},"extra":2}"#, "x").unwrap();
        assert_eq!(ok["a"], 1);
    }

    #[test]
    fn an_html_page_answering_200_is_not_success_and_429_is_throttling() {
        let e = classify_response(200, None, now(), b"<!doctype html><html><body>Sign in</body></html>", "Job J").unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadAnswer);
        assert_eq!(classify_response(429, None, now(), br#"{"message":"API rate limit exceeded"}"#, "x").unwrap_err().code(), ErrorCode::RateLimited);
        // JSON without the envelope is not the service's either; an empty body is taken as it is.
        assert_eq!(classify_response(200, None, now(), br#"{"a":1}"#, "x").unwrap_err().code(), ErrorCode::BadAnswer);
        assert_eq!(classify_response(200, None, now(), b"null", "x").unwrap_err().code(), ErrorCode::BadAnswer);
        assert_eq!(classify_response(200, None, now(), b"", "x").unwrap(), serde_json::Value::Null);
    }

    #[test]
    fn bare_5xx_is_server_error() {
        assert_eq!(classify_response(502, None, now(), b"<html>bad gateway</html>", "x").unwrap_err().code(), ErrorCode::Server);
    }
}
