//! Time-limited download URLs for result files, served with HTTP Range support.

use crate::api::Shared;
use crate::model::{unix, State};
use crate::outputs::{generated_bytes, GENERATED, REDIRECT_ELSEWHERE};
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use http::{HeaderMap, StatusCode};
use sha2::Sha256;
use std::collections::HashMap;
use std::time::SystemTime;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

fn sign(state: &State, file: &str, expires: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(state.download_secret.as_bytes()).unwrap();
    mac.update(format!("{file}\n{expires}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn url_for(state: &State, file_uuid: &str) -> String {
    let expires = unix(SystemTime::now() + state.config.download_url_lifetime);
    format!("{}/sandbox/download/{file_uuid}?expires={expires}&signature={}", state.base_url, sign(state, file_uuid, expires))
}

fn refuse(status: StatusCode, code: &str, msg: &str) -> Response {
    (status, [("content-type", "application/xml")], format!("<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>{msg}</Message></Error>"))
        .into_response()
}

/// A download address: the bytes, or (as many services do) a redirect to where they are.
pub async fn serve(state: Shared, file_uuid: String, query: HashMap<String, String>, headers: HeaderMap, via_redirect: bool) -> Response {
    {
        let st = state.lock().unwrap();
        let elsewhere = st.files.get(&file_uuid).and_then(|f| f.object_key.strip_prefix(REDIRECT_ELSEWHERE)).map(str::to_string);
        if let Some(target) = elsewhere {
            // A hostile server sends the client to another host.
            return (StatusCode::FOUND, [("location", target)]).into_response();
        }
        if st.config.redirect_downloads && !via_redirect {
            let q: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(query.iter()).finish();
            return (StatusCode::FOUND, [("location", format!("{}/sandbox/blob/{file_uuid}?{q}", st.base_url))]).into_response();
        }
    }
    let (key, path, size, etag, rate, ignore_range) = {
        let st = state.lock().unwrap();
        let expires = query.get("expires").and_then(|e| e.parse::<i64>().ok()).unwrap_or(0);
        let sig = query.get("signature").cloned().unwrap_or_default();
        if sig != sign(&st, &file_uuid, expires) {
            return refuse(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", "The download link is not valid.");
        }
        if expires < unix(SystemTime::now()) {
            return refuse(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
        }
        let Some(f) = st.files.get(&file_uuid) else {
            return refuse(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.");
        };
        (f.object_key.clone(), st.object_path(&f.object_key), f.size, f.etag.clone(), st.config.download_rate, st.config.ignore_range)
    };
    let range = headers.get("range").and_then(|v| v.to_str().ok()).filter(|_| !ignore_range).and_then(|r| parse_range(r, size));
    let (start, end, status) = match range {
        Some(Ok((s, e))) => (s, e, StatusCode::PARTIAL_CONTENT),
        Some(Err(())) => {
            return (StatusCode::RANGE_NOT_SATISFIABLE, [("content-range", format!("bytes */{size}"))]).into_response();
        }
        None => (0, size.saturating_sub(1), StatusCode::OK),
    };
    let len = if size == 0 { 0 } else { end - start + 1 };
    let body = match key.strip_prefix(GENERATED) {
        Some(spec) => {
            let seed = spec.split(':').nth(1).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
            chunks(generated(seed, start, len), rate)
        }
        None => {
            let mut file = match tokio::fs::File::open(&path).await {
                Ok(f) => f,
                Err(_) => return refuse(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist."),
            };
            if file.seek(std::io::SeekFrom::Start(start)).await.is_err() {
                return refuse(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "seek failed");
            }
            chunks(reader(file.take(len)), rate)
        }
    };
    let mut resp = Response::builder()
        .status(status)
        .header("content-length", len)
        .header("accept-ranges", "bytes")
        .header("etag", format!("\"{etag}\""))
        .header("content-type", "application/octet-stream");
    if status == StatusCode::PARTIAL_CONTENT {
        resp = resp.header("content-range", format!("bytes {start}-{end}/{size}"));
    }
    resp.body(body).unwrap()
}

type Chunks = std::pin::Pin<Box<dyn futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send>>;

const CHUNK: usize = 64 * 1024;

fn reader<R: tokio::io::AsyncRead + Send + Unpin + 'static>(r: R) -> Chunks {
    Box::pin(futures::stream::unfold((r, vec![0u8; CHUNK]), |(mut r, mut buf)| async move {
        match r.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => Some((Ok(bytes::Bytes::copy_from_slice(&buf[..n])), (r, buf))),
            Err(e) => Some((Err(e), (r, buf))),
        }
    }))
}

/// `len` bytes of a generated file from `start`.
fn generated(seed: u64, start: u64, len: u64) -> Chunks {
    Box::pin(futures::stream::unfold((start, start + len), move |(pos, end)| async move {
        if pos >= end {
            return None;
        }
        let n = ((end - pos) as usize).min(CHUNK);
        let mut buf = vec![0u8; n];
        generated_bytes(seed, pos, &mut buf);
        Some((Ok(bytes::Bytes::from(buf)), (pos + n as u64, end)))
    }))
}

/// The chunks, no faster than `rate` bytes per second when set.
fn chunks(s: Chunks, rate: Option<u64>) -> Body {
    let Some(rate) = rate.filter(|r| *r > 0) else { return Body::from_stream(s) };
    let started = std::time::Instant::now();
    let paced = futures::stream::unfold((s, 0u64), move |(mut s, sent)| async move {
        use futures::StreamExt;
        let chunk = s.next().await?;
        let sent = sent + chunk.as_ref().map(|b| b.len() as u64).unwrap_or(0);
        let due = std::time::Duration::from_secs_f64(sent as f64 / rate as f64);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
        Some((chunk, (s, sent)))
    });
    Body::from_stream(paced)
}

/// One range of `bytes=a-b`, `bytes=a-` or `bytes=-n`.
fn parse_range(value: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let r = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            if n == 0 || size == 0 {
                return Some(Err(()));
            }
            (size.saturating_sub(n), size - 1)
        }
        (s, "") => (s.parse().ok()?, size.saturating_sub(1)),
        (s, e) => (s.parse().ok()?, e.parse::<u64>().ok()?.min(size.saturating_sub(1))),
    };
    if r.0 >= size || r.0 > r.1 {
        return Some(Err(()));
    }
    Some(Ok(r))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=5-200", 100), Some(Ok((5, 99))));
    }
}
