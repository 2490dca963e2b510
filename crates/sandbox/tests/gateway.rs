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

/// A request signed over `headers` only, as a weaker client (or an attacker replaying a body)
/// would sign it.
async fn signed_over(sb: &terradesk_sandbox::Sandbox, headers: &str) -> u16 {
    let path = "/terra-rescon-be/v2/store/obtain_token";
    let date = signing::http_date(SystemTime::now());
    let digest = signing::digest(b"");
    let lines: Vec<String> = headers
        .split(' ')
        .map(|h| match h {
            "date" => format!("date: {date}"),
            "@request-target" => format!("@request-target: post {path}"),
            "digest" => format!("digest: {digest}"),
            other => panic!("{other}"),
        })
        .collect();
    let sig = signing::signature(&SecretKey::new(sb.secret_key()), &lines.join("\n"));
    reqwest::Client::new()
        .post(format!("{}{path}", sb.url()))
        .header("Date", date)
        .header("Digest", digest)
        .header("Authorization", format!("hmac username=\"{}\", algorithm=\"hmac-sha256\", headers=\"{headers}\", signature=\"{sig}\"", sb.access_key()))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_signature_that_leaves_out_the_path_or_the_body_is_refused() {
    let sb = common::sandbox(1.0).await;
    assert_eq!(signed_over(&sb, "date @request-target digest").await, 200);
    // Without the path, a signed request could be replayed against any endpoint; without the
    // digest, with any body.
    assert_eq!(signed_over(&sb, "date digest").await, 401);
    assert_eq!(signed_over(&sb, "date @request-target").await, 401);
    assert_eq!(signed_over(&sb, "date").await, 401);
}

#[tokio::test]
async fn the_sandbox_answers_only_to_its_own_address() {
    // A web page that rebinds its own name to 127.0.0.1 sends its own Host: refused.
    let sb = common::sandbox(1.0).await;
    let port = sb.url().rsplit(':').next().unwrap().to_string();
    let http = reqwest::Client::new();
    let stats = format!("{}/terra-rescon-be/v2/store/obtain_token", sb.url());
    let r = http.post(&stats).header("Host", format!("evil.example:{port}")).send().await.unwrap();
    assert_eq!(r.status(), 421);
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let r = http.post(&stats).header("Host", host.clone()).send().await.unwrap();
        assert_eq!(r.status(), 401, "{host}: reaches the gateway (unsigned, so refused there)");
    }
}

#[tokio::test]
async fn a_path_with_a_space_is_signed_as_it_is_sent() {
    // `terradesk api GET "/v2/files?name=a b"`: the URL parser sends "a%20b"; the signature must
    // cover what was sent, or the gateway refuses it.
    let sb = common::sandbox(1.0).await;
    let c = common::client(&sb);
    let res = c.create_resource("spaced", "map").await.unwrap();
    let v = c.raw("GET", &format!("/v2/files?resourceUuid={}&name=DJI 0001.JPG", res.uuid), None).await.unwrap();
    assert_eq!(v["total"], 0, "{v}");
    let v = c.raw("GET", "/v2/resources?search=spa ced&rows=5", None).await.unwrap();
    assert!(v["list"].is_array(), "{v}");
}
