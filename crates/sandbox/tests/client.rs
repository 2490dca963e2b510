//! The core's TerraAPI client against the sandbox over real sockets: every endpoint, every error
//! kind, and retries through injected faults.

mod common;

use common::*;
use std::time::Duration;
use terradesk_core::api::{JobStatus, ListQuery, StartJob};
use terradesk_core::{Error, ErrorCode};
use terradesk_sandbox::Faults;

fn params_2d() -> String {
    r#"{"parameter":{"map_mode":1,"quality_level":1,"output_geo_desc":{"cs_type":"GEO_CS","geo_cs":"EPSG:32650","geo_cs_wkt":"","override_vertical_cs":""}}}"#.into()
}

async fn wait_for(client: &terradesk_core::api::Client, job: &str, done: impl Fn(JobStatus) -> bool) -> terradesk_core::api::Job {
    for _ in 0..200 {
        let j = client.get_job(job).await.unwrap();
        if done(j.status()) {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {job} did not reach the wanted status");
}

#[tokio::test]
async fn the_whole_flow_token_resource_upload_job_results() {
    let sb = sandbox(1.5).await;
    let c = client(&sb);

    let token = c.obtain_token().await.unwrap();
    assert!(token.store_path.ends_with("/{fileName}"));
    assert_eq!(token.cloud_name, "AWS_S3");
    assert!(token.expire_time > 0);

    let res = c.create_resource("field-7", "map").await.unwrap();
    assert_eq!(res.name, "field-7");
    let files = photos(12);
    let cb = put_files(&token, &files).await;
    let registered = c.upload_callback(&res.uuid, &token.callback_param, &cb).await.unwrap();
    assert_eq!(registered.len(), 12);

    let detail = c.get_resource(&res.uuid).await.unwrap();
    assert_eq!(detail.file_uuids.len(), 12);
    assert_eq!(detail.summary.file_count, Some(12));
    let listed = c.list_resources(&ListQuery::page(1, 10)).await.unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(listed.list[0].uuid, res.uuid);

    let job = c.create_job("field-7 2D").await.unwrap();
    assert_eq!(job.status(), JobStatus::WaitingForStart);
    c.start_job(&job.uuid, &StartJob { kind: 14, resource_uuid: res.uuid.clone(), parameters: params_2d() }).await.unwrap();
    let running = c.get_job(&job.uuid).await.unwrap();
    assert!(matches!(running.status(), JobStatus::Waiting | JobStatus::Preparing | JobStatus::Executing));
    assert!(running.remain_seconds.is_some());
    let jobs = c.list_jobs(&ListQuery::page(1, 20).with("originResourceUuid", &res.uuid)).await.unwrap();
    assert_eq!(jobs.list.len(), 1);

    let done = wait_for(&c, &job.uuid, |s| s.is_terminal()).await;
    assert_eq!(done.status(), JobStatus::Finished, "{:?}", done.message);
    assert_eq!(done.percentage, Some(1.0));
    let out = done.output_resource_uuid.clone().unwrap();

    // Results: paged listing, single file, download with Range.
    let all = c.all_files_of(&out).await.unwrap();
    let names: Vec<&str> = all.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"mission.json") && names.iter().any(|n| n.starts_with("map/")), "{names:?}");
    let page = c.list_files(&ListQuery::page(1, 2).with("resourceUuid", &out)).await.unwrap();
    assert_eq!(page.list.len(), 2);
    assert!(page.has_more());
    let one = c.get_file(&all[0].uuid).await.unwrap();
    let url = one.url.unwrap();
    let http = reqwest::Client::new();
    let body = http.get(&url).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(body.len() as i64, one.size.unwrap());
    let part = http.get(&url).header("Range", "bytes=2-5").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap(), body.slice(2..6));
    let mission = all.iter().find(|f| f.name == "mission.json").unwrap();
    let text = http.get(mission.url.as_ref().unwrap()).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("sandbox output") && text.contains("DJI_0003.JPG"), "{text}");

    // Delete: job and resource.
    c.delete_job(&job.uuid).await.unwrap();
    assert_eq!(c.get_job(&job.uuid).await.unwrap_err().code(), ErrorCode::NotFound);
    c.delete_resource(&res.uuid, true).await.unwrap();
    assert_eq!(c.get_resource(&res.uuid).await.unwrap_err().code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn wrong_secret_key_is_wrong_keys() {
    let sb = sandbox(1.0).await;
    let e = client_with(&sb, "not-the-secret", 0).obtain_token().await.unwrap_err();
    assert!(matches!(e, Error::WrongKeys), "{e:?}");
    assert!(e.to_string().contains("AccessKey or SecretKey is wrong"));
}

#[tokio::test]
async fn a_clock_ten_minutes_off_is_clock_skew_with_the_offset() {
    let sb = sandbox(1.0).await;
    let e = client_with(&sb, &sb.secret_key(), -600).obtain_token().await.unwrap_err();
    match e {
        Error::ClockSkew { offset_secs } => assert!((-602..=-598).contains(&offset_secs), "{offset_secs}"),
        other => panic!("{other:?}"),
    }
    let e = client_with(&sb, &sb.secret_key(), 3600).obtain_token().await.unwrap_err();
    assert!(e.to_string().contains("60 minutes (ahead)") || e.to_string().contains("59 minutes"), "{e}");
}

#[tokio::test]
async fn more_than_two_unfinished_jobs_is_801() {
    let sb = sandbox(30.0).await;
    let c = client(&sb);
    let res = resource_with(&c, &photos(10)).await;
    for i in 0..2 {
        let j = c.create_job(&format!("j{i}")).await.unwrap();
        c.start_job(&j.uuid, &StartJob { kind: 14, resource_uuid: res.clone(), parameters: params_2d() }).await.unwrap();
    }
    let j = c.create_job("third").await.unwrap();
    let e = c.start_job(&j.uuid, &StartJob { kind: 14, resource_uuid: res.clone(), parameters: params_2d() }).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooManyJobs, "{e:?}");
    // Stop one: a slot frees.
    let first = c.list_jobs(&ListQuery::page(1, 10).with("search", "j0")).await.unwrap().list.remove(0);
    c.stop_job(&first.uuid).await.unwrap();
    assert_eq!(c.get_job(&first.uuid).await.unwrap().status(), JobStatus::Stopped);
    c.start_job(&j.uuid, &StartJob { kind: 14, resource_uuid: res, parameters: params_2d() }).await.unwrap();
}

#[tokio::test]
async fn not_found_invalid_parameters_and_other_codes() {
    let sb = sandbox(0.5).await;
    let c = client(&sb);
    assert_eq!(c.get_job("00000000-0000-0000-0000-000000000000").await.unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(c.get_file("nope").await.unwrap_err().code(), ErrorCode::NotFound);

    let res = resource_with(&c, &photos(10)).await;
    let j = c.create_job("bad").await.unwrap();
    let e = c
        .start_job(&j.uuid, &StartJob { kind: 15, resource_uuid: res.clone(), parameters: r#"{"parameter":{"model_simplify":2}}"#.into() })
        .await
        .unwrap_err();
    match &e {
        Error::InvalidParameters { message } => assert!(message.contains("model_simplify"), "{message}"),
        other => panic!("{other:?}"),
    }

    // A file that is not in storage: the callback names it.
    let token = c.obtain_token().await.unwrap();
    let e = c
        .upload_callback(&res, &token.callback_param, &[terradesk_core::api::CallbackFile::new("missing/IMG.JPG", "abc")])
        .await
        .unwrap_err();
    assert!(e.to_string().contains("missing/IMG.JPG"), "{e}");

    // Stopping a finished job: an operation the server refuses, reported with its code.
    c.start_job(&j.uuid, &StartJob { kind: 14, resource_uuid: res, parameters: params_2d() }).await.unwrap();
    wait_for(&c, &j.uuid, |s| s.is_terminal()).await;
    let e = c.stop_job(&j.uuid).await.unwrap_err();
    match e {
        Error::Refused { api_code, .. } => assert_eq!(api_code, 102003),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unfit_input_fails_the_job_with_a_message() {
    let sb = sandbox(0.5).await;
    let c = client(&sb);
    let res = resource_with(&c, &photos(3)).await;
    let j = c.create_job("few photos").await.unwrap();
    c.start_job(&j.uuid, &StartJob { kind: 14, resource_uuid: res.clone(), parameters: params_2d() }).await.unwrap();
    let done = wait_for(&c, &j.uuid, |s| s.is_terminal()).await;
    assert_eq!(done.status(), JobStatus::Failed);
    assert!(done.message.unwrap().contains("At least 10 photos"));

    let j = c.create_job("lidar without lidar").await.unwrap();
    c.start_job(&j.uuid, &StartJob { kind: 13, resource_uuid: res, parameters: "{}".into() }).await.unwrap();
    let done = wait_for(&c, &j.uuid, |s| s.is_terminal()).await;
    assert_eq!(done.status(), JobStatus::Failed);
    assert!(done.message.unwrap().contains("No LiDAR files"));
}

#[tokio::test]
async fn server_errors_and_dropped_connections_are_retried() {
    let sb = sandbox(0.5).await;
    // 25% of calls fail; ten attempts make a call that never gets through a one-in-a-million event.
    let c = client_retrying(&sb, &sb.secret_key(), 0, 10);
    sb.set_faults(Faults { error_rate: 0.15, drop_rate: 0.10, ..Default::default() });
    for _ in 0..25 {
        c.obtain_token().await.unwrap();
        c.list_jobs(&ListQuery::page(1, 5)).await.unwrap();
    }
    let (errors, drops) = sb.inspect(|s| (s.counters.injected_errors, s.counters.injected_drops));
    assert!(errors > 0 && drops > 0, "faults were injected: {errors} errors, {drops} drops");
}

#[tokio::test]
async fn a_server_that_keeps_failing_is_a_server_error_and_a_closed_port_a_network_error() {
    let sb = sandbox(0.5).await;
    sb.set_faults(Faults { error_rate: 1.0, ..Default::default() });
    let e = client(&sb).obtain_token().await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Server, "{e:?}");

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = terradesk_core::api::Client::builder(format!("http://127.0.0.1:{port}"))
        .credentials(terradesk_core::credentials::Credentials::new("ak", terradesk_core::SecretKey::new("sk")).unwrap())
        .retry(terradesk_core::api::RetryPolicy::none())
        .env_proxy(false)
        .build()
        .unwrap();
    let e = c.obtain_token().await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Network, "{e:?}");
    assert!(e.to_string().contains("Could not reach"), "{e}");
}

#[tokio::test]
async fn expired_storage_credentials_are_refused_with_expired_token() {
    let sb = sandbox(0.5).await;
    sb.set_token_lifetime(Duration::from_secs(1));
    let c = client(&sb);
    let token = c.obtain_token().await.unwrap();
    put_files(&token, &photos(1)).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let err = s3(&token).put_object().bucket(&token.cloud_bucket_name).key(token.object_key("late.jpg")).body(b"x".to_vec().into()).send().await.unwrap_err();
    let code = err.as_service_error().and_then(|e| aws_sdk_s3::error::ProvideErrorMetadata::code(e)).map(str::to_string);
    assert_eq!(code.as_deref(), Some("ExpiredToken"), "{err:?}");
}

#[tokio::test]
async fn listings_in_small_pages_whose_rows_echo_the_request_are_read_to_the_end() {
    // Seven rows a page, while the answer says "rows": 100 as asked.
    let sb = terradesk_sandbox::Sandbox::start(terradesk_sandbox::SandboxConfig { page_size: Some(7), ..Default::default() }).await.unwrap();
    let c = client(&sb);
    let token = c.obtain_token().await.unwrap();
    let res = c.create_resource("paged", "map").await.unwrap();
    let cb = put_files(&token, &photos(150)).await;
    for batch in cb.chunks(50) {
        c.upload_callback(&res.uuid, &token.callback_param, batch).await.unwrap();
    }
    let page = c.list_files(&ListQuery::page(1, 100).with("resourceUuid", &res.uuid)).await.unwrap();
    assert_eq!((page.list.len(), page.rows, page.total), (7, 100, 150), "the sandbox's answer is as unkind as meant");
    let all = c.all_files_of(&res.uuid).await.unwrap();
    let names: std::collections::BTreeSet<_> = all.iter().map(|f| f.name.clone()).collect();
    assert_eq!((all.len(), names.len()), (150, 150));
}

/// A hand-made server whose file listing never ends: every page brings `fresh` new entries (or
/// the same ones), and claims `total`.
async fn endless_listing(total: i64, fresh: bool) -> (String, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    let asked = std::sync::Arc::new(AtomicU64::new(0));
    let counter = asked.clone();
    let app = axum::Router::new().fallback(move |q: axum::extract::Query<std::collections::HashMap<String, String>>| {
        let counter = counter.clone();
        async move {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let page: i64 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let list: Vec<_> = (0..100).map(|i| {
                let id = if fresh { n * 100 + i } else { i };
                serde_json::json!({"uuid": format!("f-{id}"), "name": format!("map/{id}.tif"), "size": 1})
            }).collect();
            axum::Json(serde_json::json!({"result": {"code": 0, "msg": "ok"}, "data": {"list": list, "page": page, "rows": 100, "total": total}}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, asked)
}

#[tokio::test]
async fn a_listing_that_never_ends_is_cut_not_followed() {
    use std::sync::atomic::Ordering;
    let client = |url: &str| {
        terradesk_core::api::Client::builder(url)
            .credentials(terradesk_core::credentials::Credentials::new("ak", terradesk_core::SecretKey::new("sk")).unwrap())
            .env_proxy(false)
            .build()
            .unwrap()
    };
    // New entries on every page, for ever, while the total says 250: three pages and a check.
    let (url, asked) = endless_listing(250, true).await;
    let all = tokio::time::timeout(Duration::from_secs(30), client(&url).all_files_of("r")).await.expect("ends").unwrap();
    assert!(all.len() <= 400, "{}", all.len());
    assert!(asked.load(Ordering::SeqCst) <= 4, "{} pages asked", asked.load(Ordering::SeqCst));
    // The same page for ever, while the total says a billion: the second page brings nothing new.
    let (url, asked) = endless_listing(1_000_000_000, false).await;
    let all = tokio::time::timeout(Duration::from_secs(30), client(&url).all_files_of("r")).await.expect("ends").unwrap();
    assert_eq!(all.len(), 100);
    assert_eq!(asked.load(Ordering::SeqCst), 2);
}
