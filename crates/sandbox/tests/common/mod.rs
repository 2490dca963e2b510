#![allow(dead_code)]

use std::time::Duration;
use terradesk_core::api::{CallbackFile, Client, RetryPolicy, StoreToken};
use terradesk_core::credentials::Credentials;
use terradesk_core::SecretKey;
use terradesk_sandbox::{Sandbox, SandboxConfig};

pub async fn sandbox(job_secs: f64) -> Sandbox {
    Sandbox::start(SandboxConfig { job_duration: Duration::from_secs_f64(job_secs), ..Default::default() })
        .await
        .unwrap()
}

/// An uploader on the TerraAPI client `c`, with its control and progress.
pub fn uploader(c: Client, journal: terradesk_core::upload::UploadJournal, resource: String, opts: terradesk_core::upload::UploadOptions) -> (terradesk_core::upload::Uploader, terradesk_core::control::Control, std::sync::Arc<terradesk_core::progress::Tracker>) {
    let control = terradesk_core::control::Control::default();
    let tracker = std::sync::Arc::new(terradesk_core::progress::Tracker::new(terradesk_core::progress::Phase::Upload, 0, 0));
    let cloud: std::sync::Arc<dyn terradesk_core::cloud::Cloud> = std::sync::Arc::new(terradesk_core::cloud::TerraCloud::new(c));
    (terradesk_core::upload::Uploader::new(cloud, journal, resource, opts, control.clone(), tracker.clone()), control, tracker)
}

pub fn client(sb: &Sandbox) -> Client {
    client_with(sb, &sb.secret_key(), 0)
}

pub fn client_with(sb: &Sandbox, secret: &str, clock_offset: i64) -> Client {
    client_retrying(sb, secret, clock_offset, 4)
}

pub fn client_retrying(sb: &Sandbox, secret: &str, clock_offset: i64, attempts: u32) -> Client {
    Client::builder(sb.url())
        .credentials(Credentials::new(sb.access_key(), SecretKey::new(secret)).unwrap())
        .retry(RetryPolicy { attempts, base_delay: Duration::from_millis(10), max_delay: Duration::from_millis(100) })
        .clock_offset_secs(clock_offset)
        .env_proxy(false)
        .build()
        .unwrap()
}

pub fn s3(token: &StoreToken) -> aws_sdk_s3::Client {
    let creds = aws_credential_types::Credentials::new(
        &token.access_key_id,
        &token.secret_access_key,
        Some(token.session_token.clone()),
        None,
        "terradesk-test",
    );
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_s3::config::Region::new(token.region.clone()))
        .endpoint_url(token.storage_endpoint().unwrap())
        .force_path_style(true)
        .credentials_provider(creds)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Put `files` (name, bytes) under the token's storePath; the callback entries they need.
pub async fn put_files(token: &StoreToken, files: &[(String, Vec<u8>)]) -> Vec<CallbackFile> {
    let s3 = s3(token);
    let mut out = Vec::new();
    for (name, bytes) in files {
        let r = s3
            .put_object()
            .bucket(&token.cloud_bucket_name)
            .key(token.object_key(name))
            .body(bytes.clone().into())
            .send()
            .await
            .unwrap();
        out.push(CallbackFile::new(name.clone(), r.e_tag().unwrap()));
    }
    out
}

pub fn photos(n: usize) -> Vec<(String, Vec<u8>)> {
    (0..n).map(|i| (format!("DJI_{i:04}.JPG"), format!("photo {i}").repeat(50).into_bytes())).collect()
}

/// A resource holding `files`, registered.
pub async fn resource_with(client: &Client, files: &[(String, Vec<u8>)]) -> String {
    let token = client.obtain_token().await.unwrap();
    let res = client.create_resource("survey", "map").await.unwrap();
    let cb = put_files(&token, files).await;
    for batch in cb.chunks(50) {
        client.upload_callback(&res.uuid, &token.callback_param, batch).await.unwrap();
    }
    res.uuid
}

pub const MIB: u64 = 1024 * 1024;

/// Nested folders, a 0-byte file, non-ASCII names, and optionally a file over 100 MiB.
pub fn mixed_dataset(root: &std::path::Path, big: bool) {
    std::fs::create_dir_all(root.join("flight 1/raw")).unwrap();
    std::fs::create_dir_all(root.join("航测 2024/ü")).unwrap();
    for i in 0..24 {
        let bytes: Vec<u8> = (0..(20_000 + i * 3001)).map(|j| (j * 31 + i * 7) as u8).collect();
        std::fs::write(root.join(format!("flight 1/raw/DJI_{i:04}.JPG")), bytes).unwrap();
    }
    std::fs::write(root.join("flight 1/empty.txt"), b"").unwrap();
    std::fs::write(root.join("航测 2024/ü/照片 #1 (copy).jpg"), vec![7u8; 1000]).unwrap();
    std::fs::write(root.join(".DS_Store"), b"junk").unwrap();
    if big {
        let mut f = std::fs::File::create(root.join("航测 2024/scan.LDR")).unwrap();
        let chunk: Vec<u8> = (0..MIB).map(|j| (j % 251) as u8).collect();
        for i in 0..105u64 {
            let mut c = chunk.clone();
            c[0] = i as u8;
            std::io::Write::write_all(&mut f, &c).unwrap();
        }
    }
}

