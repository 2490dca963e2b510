//! The upload engine against moto's S3 server (PyPI `moto[server]`): an independent S3
//! implementation, so the engine is not just agreeing with our own sandbox.

mod common;

use common::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use terradesk_core::dataset;
use terradesk_core::db::Db;
use terradesk_core::upload::{etag_of_file, UploadJournal, UploadOptions};
use terradesk_sandbox::{ExternalStorage, Sandbox, SandboxConfig};


struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn moto_server() -> PathBuf {
    if let Some(p) = std::env::var_os("TERRADESK_MOTO_SERVER") {
        return p.into();
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test/bin/moto_server");
    assert!(venv.exists(), "moto_server is not installed: run `scripts/setup.sh test` (it installs moto[server] into .venv-test)");
    venv
}

async fn start_moto() -> (Moto, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(moto_server()).args(["-H", "127.0.0.1", "-p", &port.to_string()]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (Moto(child), url);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("moto_server did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mixed_dataset_uploads_exactly_to_moto() {
    let (_moto, url) = start_moto().await;
    let storage = ExternalStorage {
        endpoint: url.clone(),
        bucket: "terra-moto".into(),
        access_key: "moto-ak".into(),
        secret_key: "moto-sk".into(),
        region: "us-east-1".into(),
    };
    let sb = Sandbox::start(SandboxConfig { external_storage: Some(storage), ..Default::default() }).await.unwrap();
    let c = client(&sb);
    let token = c.obtain_token().await.unwrap();
    let s3 = s3(&token);
    s3.create_bucket().bucket("terra-moto").send().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    mixed_dataset(dir.path(), true);
    let db = Db::open(&dir.path().join(".journal.db")).unwrap();
    let opts = UploadOptions { part_size: 8 * MIB, ..Default::default() };
    let resource = c.create_resource("moto", "map").await.unwrap().uuid;
    let ds = dataset::scan(dir.path()).unwrap();
    let report = uploader(c.clone(), UploadJournal::new(db), resource.clone(), opts.clone()).0.run(&ds).await.unwrap();
    assert!(report.complete(), "{:?}", report.failed);
    assert_eq!(report.files as usize, ds.files.len());

    // What moto holds: every file, under a token's storePath (`input/<id>/`), with the ETag of
    // its bytes.
    let mut listed = HashMap::new();
    let mut pages = s3.list_objects_v2().bucket("terra-moto").into_paginator().send();
    while let Some(page) = pages.next().await {
        for o in page.unwrap().contents() {
            let key = o.key().unwrap();
            let name = key.splitn(3, '/').nth(2).unwrap().to_string();
            assert!(listed.insert(name, o.e_tag().unwrap().trim_matches('"').to_string()).is_none(), "{key} stored once");
        }
    }
    let expected: HashMap<String, String> = ds
        .files
        .iter()
        .map(|f| (f.name.clone(), etag_of_file(&f.path, (f.size >= opts.multipart_threshold).then_some(opts.part_size)).unwrap()))
        .collect();
    assert_eq!(listed, expected);
    let open = s3.list_multipart_uploads().bucket("terra-moto").send().await.unwrap();
    assert!(open.uploads().is_empty(), "no multipart upload left in moto");

    // And the resource holds each once, with those ETags.
    let registered: HashMap<String, String> = c.all_files_of(&resource).await.unwrap().into_iter().map(|f| (f.name, f.etag.unwrap())).collect();
    assert_eq!(registered, expected);
}
