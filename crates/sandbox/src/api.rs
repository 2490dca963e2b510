//! The TerraAPI endpoints (terra-api.md §3), answered in the `{result, data}` envelope.

use crate::gateway;
use crate::model::{new_uuid, rfc3339, unix, FileRec, JobRec, Op, ResourceRec, State, BUCKET};
use crate::outputs::{is_lidar, is_photo};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub type Shared = Arc<Mutex<State>>;

const PREFIX: &str = "/terra-rescon-be";

fn ok(data: Value) -> Response {
    (StatusCode::OK, axum::Json(json!({"result": {"code": 0, "msg": "success", "desc": "success"}, "data": data}))).into_response()
}

fn fail(status: StatusCode, code: i64, msg: impl Into<String>) -> Response {
    let msg = msg.into();
    (status, axum::Json(json!({"result": {"code": code, "msg": msg, "desc": msg}, "data": null}))).into_response()
}

fn param_error(msg: impl Into<String>) -> Response {
    fail(StatusCode::BAD_REQUEST, 102001, msg)
}

fn not_found(what: &str) -> Response {
    fail(StatusCode::NOT_FOUND, 102002, format!("{what} not found"))
}

/// Case-insensitive field lookup, as a Go JSON decoder matches names.
fn field<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

fn str_field(body: &Value, name: &str) -> Option<String> {
    field(body, name).and_then(|v| v.as_str()).map(str::to_string)
}

pub async fn handle(state: Shared, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path_and_query = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| uri.path().to_string());
    let mut st = state.lock().unwrap();
    st.counters.api_requests += 1;
    if let Err((status, message)) = gateway::verify(&st, &method, &path_and_query, &headers, &body) {
        st.counters.auth_failures += 1;
        tracing::info!(%method, path = %path_and_query, message, "sandbox refused a request");
        return (status, axum::Json(json!({ "message": message }))).into_response();
    }
    st.settle();
    let path = uri.path().strip_prefix(PREFIX).unwrap_or(uri.path()).trim_end_matches('/');
    let query: HashMap<String, String> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
    let json_body: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return param_error(format!("request body is not JSON: {e}")),
        }
    };
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (method.as_str(), segs.as_slice()) {
        ("POST", ["v2", "store", "obtain_token"]) => obtain_token(&mut st),
        ("POST", ["v2", "store", "upload_callback"]) => upload_callback(&mut st, &json_body),
        ("POST", ["v2", "resources"]) => create_resource(&mut st, &json_body),
        ("GET", ["v2", "resources"]) => list_resources(&st, &query),
        ("GET", ["v2", "resources", id]) => get_resource(&st, id),
        ("DELETE", ["v2", "resources", id]) => delete_resource(&mut st, id, &query),
        ("POST", ["v2", "jobs"]) => create_job(&mut st, &json_body),
        ("GET", ["v2", "jobs"]) => list_jobs(&st, &query),
        ("GET", ["v2", "jobs", id]) => match st.jobs.get_mut(*id) {
            // Just started: for a few looks it reads as not started yet, as a real service's does.
            Some(j) if j.lag > 0 => {
                j.lag -= 1;
                let mut shown = j.clone();
                shown.started = None;
                ok(job_json(&st, &shown))
            }
            Some(j) => {
                let j = j.clone();
                ok(job_json(&st, &j))
            }
            None => fail(StatusCode::NOT_FOUND, 102114, "job does not exist"),
        },
        ("POST", ["v2", "jobs", id, "start"]) => start_job(&mut st, id, &json_body),
        ("POST", ["v2", "jobs", id, "stop"]) => stop_job(&mut st, id),
        ("DELETE", ["v2", "jobs", id]) => {
            if st.jobs.contains_key(*id) {
                st.commit(Op::DeleteJob { uuid: id.to_string() });
                ok(Value::Null)
            } else {
                fail(StatusCode::NOT_FOUND, 102114, "job does not exist")
            }
        }
        ("GET", ["v2", "files"]) => list_files(&st, &query),
        ("GET", ["v2", "files", id]) => match st.files.get(*id) {
            Some(f) => ok(file_json(&st, f, true)),
            None => not_found("file"),
        },
        _ => fail(StatusCode::NOT_FOUND, 102002, format!("no such endpoint: {} {}", method, uri.path())),
    }
}

fn obtain_token(st: &mut State) -> Response {
    let t = st.issue_token();
    if let Some(x) = st.config.external_storage.clone() {
        return ok(json!({
            "accessKeyID": x.access_key, "secretAccessKey": x.secret_key, "sessionToken": t.session_token,
            "region": x.region, "cloudBucketName": x.bucket, "cloudName": "AWS_S3",
            "storePath": format!("{}/{{fileName}}", t.store_prefix), "callbackParam": t.callback_param,
            "expireTime": unix(t.expires_at), "endpoint": x.endpoint,
        }));
    }
    ok(json!({
        "accessKeyID": t.access_key_id,
        "secretAccessKey": t.secret_access_key,
        "sessionToken": t.session_token,
        "region": if st.config.oss { "cn-hangzhou" } else { "us-east-1" },
        "cloudBucketName": BUCKET,
        "cloudName": if st.config.oss { "ALI_OSS" } else { "AWS_S3" },
        "storePath": format!("{}/{{fileName}}", t.store_prefix),
        "callbackParam": t.callback_param,
        "expireTime": unix(t.expires_at),
        "endpoint": st.base_url,
    }))
}

fn upload_callback(st: &mut State, body: &Value) -> Response {
    let Some(resource) = str_field(body, "resourceUUID") else { return param_error("resourceUUID is required") };
    let Some(cb) = str_field(body, "callbackParam") else { return param_error("callbackParam is required") };
    let Some(files) = field(body, "files").and_then(|f| f.as_array()) else { return param_error("files is required") };
    if !st.resources.contains_key(&resource) {
        return not_found("resource");
    }
    let Some(prefix) = st.callback_params.get(&cb).cloned() else {
        return param_error("callbackParam is not valid: obtain a token and use its callbackParam");
    };
    if files.is_empty() || files.len() > 1000 {
        return param_error("files must hold 1 to 1000 entries");
    }
    // Check every file before registering any.
    let mut checked = Vec::new();
    for f in files {
        let name = str_field(f, "name").unwrap_or_default();
        let etag = str_field(f, "etag").unwrap_or_default().trim_matches('"').to_string();
        if name.is_empty() || name.starts_with('/') || name.split('/').any(|s| s == "..") {
            return param_error(format!("file name \"{name}\" is not a relative path"));
        }
        let key = format!("{prefix}/{name}");
        if st.config.external_storage.is_some() {
            checked.push((name, etag, 0, key));
            continue;
        }
        match st.objects.get(&key) {
            None => return param_error(format!("file \"{name}\" was not found in storage under this token's storePath")),
            Some((stored, _)) if stored != &etag => {
                return param_error(format!("file \"{name}\": etag {etag} does not match the stored object ({stored})"))
            }
            Some((_, size)) => checked.push((name, etag, *size, key)),
        }
    }
    st.counters.callbacks += 1;
    let mut out = Vec::new();
    for (name, etag, size, key) in checked {
        let rec = st.register_file(&resource, &name, &etag, size, &key);
        out.push(file_json(st, &rec, false));
    }
    ok(Value::Array(out))
}

fn resource_json(r: &ResourceRec) -> Value {
    json!({
        "uuid": r.uuid, "name": r.name, "type": r.kind, "meta": {}, "fileCount": r.files.len(), "totalSize": r.total_size,
        "scope": {"minLatitude": 22.57, "maxLatitude": 22.58, "minLongitude": 113.94, "maxLongitude": 113.95},
        "revisable": true, "uploadUsedTime": 0, "downloadUsedTime": 0,
        "createdAt": rfc3339(r.created_at), "updatedAt": rfc3339(r.updated_at),
    })
}

fn create_resource(st: &mut State, body: &Value) -> Response {
    let name = str_field(body, "name").unwrap_or_default();
    if name.trim().is_empty() {
        return param_error("name is required");
    }
    let kind = str_field(body, "type").unwrap_or_else(|| "map".into());
    let now = SystemTime::now();
    let r = ResourceRec {
        uuid: new_uuid(),
        name,
        kind,
        files: Vec::new(),
        total_size: 0,
        created_at: now,
        updated_at: now,
        input_jobs: Vec::new(),
        output_jobs: Vec::new(),
    };
    let v = resource_json(&r);
    st.commit(Op::Resource(r));
    ok(v)
}

fn get_resource(st: &State, id: &str) -> Response {
    let Some(r) = st.resources.get(id) else { return not_found("resource") };
    ok(json!({
        "summary": resource_json(r),
        "fileUuids": r.files,
        "inputJobUuids": r.input_jobs,
        "outputJobUuids": r.output_jobs,
    }))
}

fn delete_resource(st: &mut State, id: &str, q: &HashMap<String, String>) -> Response {
    if !st.resources.contains_key(id) {
        return not_found("resource");
    }
    st.commit(Op::DeleteResource { uuid: id.to_string(), delete_files: q.get("deleteMode").map(String::as_str) == Some("1") });
    ok(Value::Null)
}

/// The page asked for, and its rows: at most 1000, and at most the sandbox's page size.
fn page_of(st: &State, q: &HashMap<String, String>) -> (usize, usize) {
    let page = q.get("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1);
    let rows = q.get("rows").and_then(|p| p.parse::<usize>().ok()).unwrap_or(20).clamp(1, 1000);
    (page, rows.min(st.config.page_size.unwrap_or(usize::MAX)).max(1))
}

/// One page. With a small page size the answer's `rows` echoes what was asked for, not what was
/// sent, as some services do: a client must count the list, not trust `rows`.
fn paged(st: &State, items: Vec<Value>, q: &HashMap<String, String>) -> Value {
    let (page, rows) = page_of(st, q);
    let total = items.len();
    let list: Vec<Value> = items.into_iter().skip((page - 1) * rows).take(rows).collect();
    json!({"list": list, "page": page, "rows": rows_said(st, q, rows), "total": total})
}

/// The `rows` an answer states: with a small page size, what was asked for.
fn rows_said(st: &State, q: &HashMap<String, String>, rows: usize) -> usize {
    if st.config.page_size.is_some() { q.get("rows").and_then(|r| r.parse::<usize>().ok()).unwrap_or(rows) } else { rows }
}

fn csv(q: &HashMap<String, String>, key: &str) -> Option<Vec<String>> {
    q.get(key).filter(|s| !s.is_empty()).map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
}

fn list_resources(st: &State, q: &HashMap<String, String>) -> Response {
    let uuids = csv(q, "uuids");
    let items = st
        .resources
        .values()
        .filter(|r| q.get("search").is_none_or(|s| r.name.contains(s.as_str())))
        .filter(|r| q.get("type").is_none_or(|t| t.is_empty() || &r.kind == t))
        .filter(|r| uuids.as_ref().is_none_or(|u| u.contains(&r.uuid)))
        .map(resource_json)
        .collect();
    ok(paged(st, items, q))
}

fn job_json(st: &State, j: &JobRec) -> Value {
    let p = j.progress(st.config.job_duration);
    let mut v = json!({
        "uuid": j.uuid, "name": j.name, "meta": {}, "type": j.kind.unwrap_or(0), "status": p.status,
        "createdAt": rfc3339(j.created_at), "updatedAt": rfc3339(SystemTime::now()),
    });
    if let Some(at) = j.started {
        let o = v.as_object_mut().unwrap();
        o.insert("startedAt".into(), json!(rfc3339(at)));
        o.insert("originResourceUuid".into(), json!(j.resource_uuid));
        o.insert("outputResourceUuid".into(), json!(j.output_resource_uuid.clone().unwrap_or_default()));
        o.insert("parameters".into(), json!(j.parameters));
        o.insert("percentage".into(), json!(p.percentage));
        o.insert("remainSeconds".into(), json!(p.remain_seconds));
        o.insert("pixels".into(), json!(0));
        if let Some(c) = j.completed_at.or(j.stopped_at) {
            o.insert("completedAt".into(), json!(rfc3339(c)));
        }
        if p.status == 7 {
            o.insert("message".into(), json!(j.unfit.clone().unwrap_or_else(|| "failed".into())));
        }
    }
    v
}

fn create_job(st: &mut State, body: &Value) -> Response {
    let name = str_field(body, "name").unwrap_or_default();
    if name.trim().is_empty() {
        return param_error("name is required");
    }
    let j = JobRec {
        uuid: new_uuid(),
        name,
        kind: None,
        created_at: SystemTime::now(),
        started: None,
        resource_uuid: None,
        parameters: None,
        output_resource_uuid: None,
        stopped_at: None,
        unfit: None,
        completed_at: None,
        lag: 0,
    };
    let v = job_json(st, &j);
    st.commit(Op::Job(j));
    ok(v)
}

fn start_job(st: &mut State, id: &str, body: &Value) -> Response {
    let Some(job) = st.jobs.get(id) else { return fail(StatusCode::NOT_FOUND, 102114, "job does not exist") };
    if job.started.is_some() {
        return fail(StatusCode::BAD_REQUEST, 102003, "invalid operation: the job was already started");
    }
    let kind = field(body, "type").and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())));
    let Some(kind @ (13 | 14 | 15)) = kind else { return param_error("type must be 13 (LiDAR), 14 (2D) or 15 (3D)") };
    let Some(resource) = str_field(body, "resourceUuid") else { return param_error("resourceUuid is required") };
    let Some(res) = st.resources.get(&resource) else { return not_found("resource") };
    let params = match field(body, "parameters") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => "{}".into(),
        Some(_) => return param_error("parameters must be a JSON string"),
    };
    let parsed: Value = match serde_json::from_str(&params) {
        Ok(v) => v,
        Err(e) => return param_error(format!("parameters is not valid JSON: {e}")),
    };
    if let Err(msg) = check_parameters(kind, &parsed) {
        return param_error(msg);
    }
    if st.unfinished_jobs() >= st.config.max_unfinished_jobs {
        return fail(StatusCode::OK, 801, "too many requests: jobs over limit");
    }
    let names: Vec<String> = res.files.iter().filter_map(|f| st.files.get(f)).map(|f| f.name.clone()).collect();
    let photos = names.iter().filter(|n| is_photo(n)).count();
    let unfit = match kind {
        13 if !names.iter().any(|n| is_lidar(n)) => Some("No LiDAR files (.LDR, .IMU, .RTK …) in the resource: a LiDAR job needs a DJI L1/L2 mission folder.".to_string()),
        14 | 15 if photos < 10 => Some(format!("At least 10 photos are needed; the resource has {photos}.")),
        14 if photos > 4000 => Some(format!("A 2D job takes at most 4,000 photos; the resource has {photos}.")),
        15 if photos > 20000 => Some(format!("A 3D job takes at most 20,000 photos; the resource has {photos}.")),
        _ => None,
    };
    if let Some(mut r) = st.resources.get(&resource).cloned() {
        r.input_jobs.push(id.to_string());
        st.commit(Op::Resource(r));
    }
    let mut job = st.jobs[id].clone();
    job.kind = Some(kind);
    job.resource_uuid = Some(resource);
    job.parameters = Some(params);
    job.started = Some(SystemTime::now());
    job.unfit = unfit;
    job.lag = st.config.status_lag;
    st.commit(Op::Job(job));
    ok(Value::Null)
}

/// The few rules the sandbox checks, so that the client's validation is proved against a server.
fn check_parameters(kind: i64, v: &Value) -> Result<(), String> {
    let p = v.get("parameter").cloned().unwrap_or(Value::Null);
    if let Some(s) = p.get("model_simplify").and_then(|x| x.as_f64()) {
        if !(0.05..=1.0).contains(&s) {
            return Err(format!("model_simplify must be within 0.05..1, got {s}"));
        }
    }
    if let Some(t) = p.get("dom_tile_size").and_then(|x| x.as_i64()) {
        if t != 0 && t % 2 != 0 {
            return Err(format!("dom_tile_size must be 0 or a multiple of 2, got {t}"));
        }
    }
    if kind == 13 && p.get("quality_level").is_some() && p.get("sample_distance").is_some() {
        return Err("quality_level and sample_distance cannot be used together".into());
    }
    if kind == 13 && v.get("predefine_AOI").is_some() {
        return Err("predefine_AOI is not supported for LiDAR jobs".into());
    }
    Ok(())
}

fn stop_job(st: &mut State, id: &str) -> Response {
    let d = st.config.job_duration;
    let Some(mut job) = st.jobs.get(id).cloned() else { return fail(StatusCode::NOT_FOUND, 102114, "job does not exist") };
    let status = job.progress(d).status;
    if job.started.is_none() || status >= 4 {
        return fail(StatusCode::BAD_REQUEST, 102003, format!("invalid operation: a job in status {status} cannot be stopped"));
    }
    job.stopped_at = Some(SystemTime::now());
    st.commit(Op::Job(job));
    ok(Value::Null)
}

fn list_jobs(st: &State, q: &HashMap<String, String>) -> Response {
    let uuids = csv(q, "uuids");
    let d = st.config.job_duration;
    let items = st
        .jobs
        .values()
        .filter(|j| q.get("search").is_none_or(|s| j.name.contains(s.as_str())))
        .filter(|j| uuids.as_ref().is_none_or(|u| u.contains(&j.uuid)))
        .filter(|j| q.get("type").and_then(|t| t.parse::<i64>().ok()).is_none_or(|t| j.kind == Some(t)))
        .filter(|j| q.get("status").and_then(|t| t.parse::<i64>().ok()).is_none_or(|s| j.progress(d).status == s))
        .filter(|j| q.get("originResourceUuid").is_none_or(|r| j.resource_uuid.as_deref() == Some(r.as_str())))
        .filter(|j| q.get("outputResourceUuid").is_none_or(|r| j.output_resource_uuid.as_deref() == Some(r.as_str())))
        .map(|j| job_json(st, j))
        .collect();
    ok(paged(st, items, q))
}

fn file_json(st: &State, f: &FileRec, with_url: bool) -> Value {
    let mut v = json!({
        "uuid": f.uuid, "name": f.name, "checksum": f.etag, "etag": f.etag, "size": f.size, "meta": {},
        "position": {"attitude": null, "latitude": null, "longitude": null},
        "createdAt": rfc3339(f.created_at), "updatedAt": rfc3339(f.created_at),
    });
    if with_url {
        v["url"] = json!(crate::download::url_for(st, &f.uuid));
    }
    v
}

fn list_files(st: &State, q: &HashMap<String, String>) -> Response {
    let uuids = csv(q, "uuids");
    if uuids.as_ref().is_some_and(|u| u.len() > 1000) {
        return param_error("uuids holds at most 1000 entries");
    }
    let need_url = q.get("needURL").is_some_and(|v| v == "true" || v == "1");
    let (page, rows) = page_of(st, q);
    let name = q.get("name").filter(|n| !n.is_empty());
    // Only the page asked for is built: a resource of 100,000 files pages as fast as one of ten.
    let answer = |total: usize, list: Vec<&FileRec>| ok(json!({"list": list.into_iter().map(|f| file_json(st, f, need_url)).collect::<Vec<_>>(), "page": page, "rows": rows_said(st, q, rows), "total": total}));
    let skip = (page - 1) * rows;
    match (q.get("resourceUuid"), &uuids, name) {
        (Some(r), None, None) => match st.resources.get(r) {
            Some(res) => answer(res.files.len(), res.files.iter().skip(skip).take(rows).filter_map(|f| st.files.get(f)).collect()),
            None => not_found("resource"),
        },
        (resource, _, _) => {
            let mut files: Vec<&FileRec> = match (resource, &uuids) {
                (_, Some(u)) => u.iter().filter_map(|id| st.files.get(id)).filter(|f| resource.is_none_or(|r| &f.resource_uuid == r)).collect(),
                (Some(r), None) => match st.resources.get(r) {
                    Some(res) => res.files.iter().filter_map(|f| st.files.get(f)).collect(),
                    None => return not_found("resource"),
                },
                (None, None) => {
                    let mut all: Vec<&FileRec> = st.files.values().collect();
                    all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.name.cmp(&b.name)));
                    all
                }
            };
            if let Some(n) = name {
                files.retain(|f| f.name.contains(n.as_str()));
            }
            let total = files.len();
            answer(total, files.into_iter().skip(skip).take(rows).collect())
        }
    }
}
