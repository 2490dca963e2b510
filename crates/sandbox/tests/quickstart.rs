//! The vendor's quick-start bash recipes (curl + openssl, verbatim from the document), run against
//! the sandbox: only the host and the keys change, and the ids one step hands to the next.

mod common;

use std::process::Command;

fn run(script: &str, url: &str, ak: &str, sk: &str, ids: &[(&str, &str)]) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/quickstart").join(script);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text = text.replace("{your AK}", ak).replace("{your SK}", sk).replace("https://openapi-us.dji.com", url);
    for (placeholder, value) in ids {
        text = text.replace(placeholder, value);
    }
    let out = Command::new("bash").arg("-c").arg(&text).output().expect("bash runs");
    assert!(out.status.success(), "{script} failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{script}: {e}: {stdout}"));
    assert_eq!(v["result"]["code"], 0, "{script}: {v}");
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn the_vendors_recipes_work_against_the_sandbox() {
    let sb = common::sandbox(30.0).await;
    let (url, ak, sk) = (sb.url().to_string(), sb.access_key(), sb.secret_key());
    let (url, ak, sk) = (url.as_str(), ak.as_str(), sk.as_str());
    tokio::task::spawn_blocking({
        let (url, ak, sk) = (url.to_string(), ak.to_string(), sk.to_string());
        move || {
            let (url, ak, sk) = (url.as_str(), ak.as_str(), sk.as_str());
            let token = run("obtain_token.sh", url, ak, sk, &[]);
            assert!(token["data"]["storePath"].as_str().unwrap().ends_with("{fileName}"));

            let res = run("create_resource.sh", url, ak, sk, &[]);
            let res_uuid = res["data"]["uuid"].as_str().unwrap().to_string();
            assert_eq!(res["data"]["name"], "test_resource");

            for (script, id) in [("start_2d_job.sh", "{your uuid}"), ("start_3d_job.sh", "{uuid from create job}")] {
                let job = run("create_job.sh", url, ak, sk, &[]);
                let job_uuid = job["data"]["uuid"].as_str().unwrap().to_string();
                run(script, url, ak, sk, &[(id, &job_uuid), ("{uuid from create resource}", &res_uuid)]);
                let status = run("job_status.sh", url, ak, sk, &[("{uuid from create job}", &job_uuid)]);
                assert_eq!(status["data"]["uuid"], job_uuid.as_str());
                assert!(status["data"]["status"].as_i64().unwrap() >= 1, "{status}");
                assert_eq!(status["data"]["originResourceUuid"], res_uuid.as_str());
            }
            let detail = run("get_resource.sh", url, ak, sk, &[("{uuid form check job status}", &res_uuid)]);
            assert_eq!(detail["data"]["summary"]["uuid"], res_uuid.as_str());
        }
    })
    .await
    .unwrap();
    sb.stop().await;
}
