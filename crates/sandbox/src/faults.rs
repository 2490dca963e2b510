//! How the sandbox is unkind on purpose, in front of every route: latency, 500s, dropped
//! connections, answers lost after the work was done, throttling (429 with Retry-After), a
//! captive portal's HTML answering API calls, and its own clock. It also refuses a `Host` it is
//! not, so a web page cannot reach it through DNS rebinding.

use crate::api::Shared;
use crate::model;
use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

/// A promised body that never comes: the connection is cut mid-answer.
fn cut() -> Response {
    let body = Body::from_stream(futures::stream::once(async { Err::<bytes::Bytes, _>(std::io::Error::other("sandbox: connection cut")) }));
    Response::builder().status(200).header("content-length", "1024").body(body).unwrap()
}

/// The `Host` of a request to this sandbox: its own address only (`own` is `host:port` as bound).
fn host_ok(req: &Request, own: &str) -> bool {
    let Some(host) = req.headers().get(http::header::HOST).and_then(|h| h.to_str().ok()) else { return true };
    let port = own.rsplit(':').next().unwrap_or("");
    [own.to_string(), format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}")].iter().any(|h| h.eq_ignore_ascii_case(host))
}

pub async fn faults(AxState(state): AxState<Shared>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let is_api = path.starts_with("/terra-rescon-be");
    let is_download = path.starts_with("/sandbox/download") || path.starts_with("/sandbox/blob");
    let (f, clock, own) = {
        let st = state.lock().unwrap();
        let own = st.base_url.trim_start_matches("http://").to_string();
        (st.config.faults.clone(), st.config.clock_offset_secs, own)
    };
    if !host_ok(&req, &own) {
        return (http::StatusCode::MISDIRECTED_REQUEST, "This sandbox answers only to its own address.").into_response();
    }
    if path == "/sandbox/stats" {
        return next.run(req).await;
    }
    if !f.latency.is_zero() {
        tokio::time::sleep(f.latency).await;
    }
    let eligible = f.only.as_deref().is_none_or(|o| path.contains(o))
        && f.limit.is_none_or(|n| {
            let c = &state.lock().unwrap().counters;
            c.injected_errors + c.injected_drops + c.lost_answers < n
        });
    let hit = |rate: f64| eligible && rand::thread_rng().gen_bool(rate.clamp(0.0, 1.0));
    let faulty = is_api || f.include_storage && !is_download;
    if is_api && hit(f.throttle_rate) {
        state.lock().unwrap().counters.injected_errors += 1;
        // As Kong's rate-limiting plugin answers.
        return (http::StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], axum::Json(serde_json::json!({"message": "API rate limit exceeded"}))).into_response();
    }
    if is_api && hit(f.captive_rate) {
        state.lock().unwrap().counters.injected_errors += 1;
        return (http::StatusCode::OK, [("content-type", "text/html; charset=utf-8")], "<!doctype html><html><head><title>Hotel Wi-Fi</title></head><body><h1>Sign in to continue</h1><form action=\"/login\"></form></body></html>").into_response();
    }
    if faulty && hit(f.drop_rate) {
        state.lock().unwrap().counters.injected_drops += 1;
        return cut();
    }
    if faulty && hit(f.error_rate) {
        state.lock().unwrap().counters.injected_errors += 1;
        return if is_api {
            (http::StatusCode::INTERNAL_SERVER_ERROR, axum::Json(serde_json::json!({"result": {"code": 102000, "msg": "service invocation failure (injected by the sandbox)", "desc": "injected"}, "data": null}))).into_response()
        } else {
            (http::StatusCode::INTERNAL_SERVER_ERROR, [("content-type", "application/xml")], "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again. (injected by the sandbox)</Message></Error>").into_response()
        };
    }
    let lose = (faulty || is_download) && hit(f.lose_answer_rate);
    let mut resp = next.run(req).await;
    if lose {
        // The work is done; the answer never arrives.
        state.lock().unwrap().counters.lost_answers += 1;
        drop(resp);
        return cut();
    }
    if clock != 0 {
        // Answers are dated by the sandbox's own (shifted) clock, as a server's are.
        if let Ok(v) = http::HeaderValue::from_str(&httpdate::fmt_http_date(model::shifted_now(clock))) {
            resp.headers_mut().insert(http::header::DATE, v);
        }
    }
    resp
}
