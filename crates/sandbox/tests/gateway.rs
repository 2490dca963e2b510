//! The sandbox checks every request like DJI's gateway: raw, hand-signed requests.

mod common;

use std::time::{Duration, SystemTime};
use terradesk_core::signing;
use terradesk_core::SecretKey;

async fn send(url: &str, path: &str, signed_body: &[u8], sent_body: &[u8], sk: &str, ak: &str, at: SystemTime) -> (u16, serde_json::Value) {
    let h = signing::sign("POST", path, signed_body, ak, &SecretKey::new(sk), at);
    let r = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .header("Date", h.date)
        .header("Digest", signing::digest(signed_body))
        .header("Authorization", h.authorization)
        .header("Content-Type", "application/json;charset=UTF-8")
        .body(sent_body.to_vec())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn a_good_request_passes_and_bad_ones_get_the_gateways_bare_401() {
    let sb = common::sandbox(1.0).await;
    let (ak, sk) = (sb.access_key(), sb.secret_key());
    let path = "/terra-rescon-be/v2/resources";
    let body = br#"{"name": "test_resource", "type": "map"}"#;
    let now = SystemTime::now();

    let (status, v) = send(sb.url(), path, body, body, &sk, &ak, now).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["result"]["code"], 0);

    // Wrong SecretKey.
    let (status, v) = send(sb.url(), path, body, body, "wrong", &ak, now).await;
    assert_eq!((status, v.clone()), (401, serde_json::json!({"message": "HMAC signature does not match"})), "{v}");

    // Unknown AccessKey.
    let (status, _) = send(sb.url(), path, body, body, &sk, "someone-else", now).await;
    assert_eq!(status, 401);

    // Tampered body: signed one thing, sent another.
    let tampered = br#"{"name": "test_resource", "type": "model"}"#;
    let (status, v) = send(sb.url(), path, body, tampered, &sk, &ak, now).await;
    assert_eq!(status, 401);
    assert_eq!(v["message"], "HMAC signature does not match");

    // A Date ten minutes off, either way.
    for off in [-600i64, 600] {
        let at = if off < 0 { now - Duration::from_secs(600) } else { now + Duration::from_secs(600) };
        let (status, v) = send(sb.url(), path, body, body, &sk, &ak, at).await;
        assert_eq!(status, 401);
        assert!(v["message"].as_str().unwrap().contains("valid date or x-date"), "{v}");
    }
    // Four minutes is within the gateway's 300 s.
    let (status, _) = send(sb.url(), path, body, body, &sk, &ak, now - Duration::from_secs(240)).await;
    assert_eq!(status, 200);

    let refused = sb.inspect(|s| s.counters.auth_failures);
    assert_eq!(refused, 5);
}

#[tokio::test]
async fn x_date_is_accepted_in_place_of_date() {
    let sb = common::sandbox(1.0).await;
    let path = "/terra-rescon-be/v2/store/obtain_token";
    let date = signing::http_date(SystemTime::now());
    let digest = signing::digest(b"");
    let string = format!("x-date: {date}\n@request-target: post {path}\ndigest: {digest}");
    let sig = signing::signature(&SecretKey::new(sb.secret_key()), &string);
    let r = reqwest::Client::new()
        .post(format!("{}{path}", sb.url()))
        .header("X-Date", date)
        .header("Digest", digest)
        .header(
            "Authorization",
            format!("hmac username=\"{}\", algorithm=\"hmac-sha256\", headers=\"x-date @request-target digest\", signature=\"{sig}\"", sb.access_key()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
