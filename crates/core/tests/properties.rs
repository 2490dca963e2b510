//! Property tests: what a server, a gateway or a folder can send never breaks the decoders and
//! checks, and the upload journal keeps to its model through any sequence of events.
//!
//! `npm test` runs a short round (the case counts below). The long run, for a release or after
//! touching one of these:
//!
//! ```sh
//! PROPTEST_CASES=20000 cargo test --release -p terradesk-core --test properties
//! ```

use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Component, Path};
use std::time::SystemTime;
use terradesk_core::api::{classify_response, Job, JobStatus};
use terradesk_core::credentials::Credentials;
use terradesk_core::dataset::{Dataset, DatasetFile, FileKind};
use terradesk_core::results::names::{safe_relative_path, PART_SUFFIX};
use terradesk_core::signing::{parse_authorization, sign};
use terradesk_core::upload::journal::{FileState, UploadJournal};
use terradesk_core::{Error, SecretKey};

fn cases(short: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(short);
    ProptestConfig { cases: n, failure_persistence: None, ..ProptestConfig::default() }
}

/// Bodies a server, a proxy or a captive portal might send: JSON that is or is not the envelope,
/// HTML, and noise.
fn bodies() -> impl Strategy<Value = Vec<u8>> {
    let json = prop_oneof![
        Just(serde_json::json!(null)),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        ".{0,20}".prop_map(|s| serde_json::json!(s)),
        (any::<i64>(), ".{0,20}").prop_map(|(c, m)| serde_json::json!({"result": {"code": c, "msg": m}, "data": {"x": 1}})),
        (any::<i64>()).prop_map(|c| serde_json::json!({"result": {"code": c.to_string()}, "data": null})),
        ".{0,20}".prop_map(|m| serde_json::json!({"message": m})),
        Just(serde_json::json!({"result": null, "data": {"uuid": "x"}})),
        Just(serde_json::json!({"data": {"uuid": "x"}})),
    ]
    .prop_map(|v| serde_json::to_vec(&v).unwrap());
    prop_oneof![
        json,
        ".{0,200}".prop_map(|s| format!("<!doctype html><html><body>{s}</body></html>").into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..300),
    ]
}

proptest! {
    #![proptest_config(cases(512))]

    /// The envelope decoder never panics, and says success only for the service's own "code 0".
    #[test]
    fn the_envelope_decoder_succeeds_only_on_code_zero(status in prop_oneof![Just(200u16), Just(201), Just(204), Just(401), Just(403), Just(404), Just(429), Just(500), Just(502), 100u16..600], body in bodies(), date in proptest::option::of(".{0,40}")) {
        let r = classify_response(status, date.as_deref(), SystemTime::now(), &body, "Job x");
        if r.is_ok() && !body.iter().all(|b| b.is_ascii_whitespace()) {
            let v: serde_json::Value = serde_json::from_slice(&body).expect("success came from JSON");
            let code = &v["result"]["code"];
            prop_assert!(code == 0 || code == "0", "success with code {code} from {v}");
            prop_assert!((200..300).contains(&status), "success with HTTP {status}");
        }
        // A 2xx that is not the envelope is a bad answer (a captive portal), never success.
        let enveloped = serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v["result"].is_object());
        if (200..300).contains(&status) && !enveloped && !body.iter().all(|b| b.is_ascii_whitespace()) {
            prop_assert!(matches!(r, Err(Error::BadAnswer { .. })), "{r:?}");
        }
        if status == 429 {
            prop_assert!(matches!(r, Err(Error::RateLimited { .. })), "{r:?}");
        }
    }

    /// A well-formed answer gives back its data, whatever the data.
    #[test]
    fn a_good_envelope_gives_back_its_data(key in "[a-z]{1,8}", n in any::<i64>(), s in ".{0,30}") {
        let data = serde_json::json!({ key.clone(): n, "s": s });
        let body = serde_json::to_vec(&serde_json::json!({"result": {"code": 0, "msg": "success"}, "data": data})).unwrap();
        let got = classify_response(200, None, SystemTime::now(), &body, "x").unwrap();
        prop_assert_eq!(got, data);
    }

    /// Jobs decode with their status given as a number or a string, and unknown fields ignored;
    /// whatever decodes has a status.
    #[test]
    fn jobs_decode_with_numeric_or_string_status(code in -5i64..20, as_string in any::<bool>(), extra in "[a-z]{1,10}", pct in proptest::option::of(-2.0f64..200.0)) {
        let status = if as_string { serde_json::json!(code.to_string()) } else { serde_json::json!(code) };
        let v = serde_json::json!({"uuid": "u", "name": "n", "status": status, "type": "14", extra: [1, 2], "percentage": pct});
        let j: Job = serde_json::from_value(v).unwrap();
        prop_assert_eq!(j.status, Some(code));
        prop_assert_eq!(j.status(), JobStatus::from_code(code));
        prop_assert_eq!(j.kind, Some(14));
    }

    /// Any JSON at all: a decode error or a job, never a panic.
    #[test]
    fn any_json_decodes_to_a_job_or_an_error(body in bodies()) {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
            if let Ok(j) = serde_json::from_value::<Job>(v) {
                let _ = j.status();
            }
        }
    }

    /// The gateway's Authorization parser never panics on what a client sends.
    #[test]
    fn the_authorization_parser_takes_anything(s in ".{0,300}", tail in "[a-z=\", ]{0,60}") {
        let _ = parse_authorization(&s);
        let _ = parse_authorization(&format!("hmac {s}"));
        let _ = parse_authorization(&format!("hmac username=\"{s}\", {tail}"));
    }

    /// Any AccessKey the app accepts comes back out of the header as it went in, with the
    /// headers it signed: no key can add parameters of its own.
    #[test]
    fn any_accepted_access_key_round_trips_through_the_header(ak in "[ -~]{1,64}", sk in "[ -~]{1,64}", path in "/[a-z/]{0,30}") {
        if let Ok(c) = Credentials::new(ak.clone(), SecretKey::new(sk)) {
            let h = sign("POST", &path, b"{}", &c.access_key, &c.secret_key, SystemTime::now());
            let parsed = parse_authorization(&h.authorization).expect("our own header parses");
            prop_assert_eq!(parsed.username, c.access_key);
            prop_assert_eq!(parsed.headers, vec!["date".to_string(), "@request-target".into(), "digest".into()]);
            prop_assert_eq!(parsed.algorithm, "hmac-sha256");
        }
    }

    /// Whatever a server calls a result file, an accepted name is a plain relative path that
    /// stays inside the download folder and that Windows, macOS and Linux can all write.
    #[test]
    fn an_accepted_result_name_stays_inside_and_is_writable_everywhere(name in prop_oneof![
        ".{0,80}",
        "[a-zA-Z0-9 ._\\-/\\\\:<>|?*\"]{0,60}",
        proptest::collection::vec(prop_oneof![Just("..".to_string()), Just(".".to_string()), Just("".to_string()), Just("CON".to_string()), Just("aux.tif".to_string()), Just("a ".to_string()), Just("b.".to_string()), "[a-zA-Z0-9é漢]{1,12}(\\.[a-z]{1,4})?".prop_map(|s| s)], 1..6).prop_map(|parts| parts.join("/")),
        "[a-z]{250,270}",
    ]) {
        if let Ok(p) = safe_relative_path(&name) {
            prop_assert!(p.is_relative());
            prop_assert!(p.components().all(|c| matches!(c, Component::Normal(_))), "{p:?}");
            let dest = Path::new("/downloads/job");
            prop_assert!(dest.join(&p).starts_with(dest));
            for c in p.components() {
                let s = c.as_os_str().to_str().unwrap();
                prop_assert!(s.len() <= 255, "{s}");
                prop_assert!(!s.chars().any(|ch| ch.is_control() || "<>:\"|?*\\".contains(ch)), "{s}");
                prop_assert!(!s.ends_with('.') && !s.ends_with(' '), "{s:?}");
                let stem = s.split('.').next().unwrap().to_ascii_lowercase();
                prop_assert!(!["con", "prn", "aux", "nul", "com1", "lpt1"].contains(&stem.as_str()), "{s}");
            }
            prop_assert!(!name.ends_with(PART_SUFFIX));
        }
    }

    /// Ordinary names are accepted as they are.
    #[test]
    fn ordinary_result_names_are_accepted(parts in proptest::collection::vec("[a-zA-Z0-9_\\-]{1,20}", 1..5), ext in "[a-z]{1,4}") {
        let name = format!("{}.{ext}", parts.join("/"));
        let p = safe_relative_path(&name).unwrap();
        prop_assert_eq!(p.to_str().unwrap().replace('\\', "/"), name);
    }
}

// ---- The upload journal against its model ----

const NAMES: &[&str] = &["a.JPG", "b.JPG", "c.JPG", "d/e.JPG", "f.LDR"];

#[derive(Debug, Clone)]
enum Op {
    /// The folder as it is now: each name present or not, with a version (size and mtime).
    Sync(Vec<Option<u8>>),
    StartMultipart(usize),
    Part(usize, u32),
    Uploaded(usize),
    Registered(Vec<usize>),
    Failed(usize),
    Refused(usize),
    RetryFailed,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let n = NAMES.len();
    let op = prop_oneof![
        2 => proptest::collection::vec(proptest::option::weighted(0.85, 0u8..3), n).prop_map(Op::Sync),
        2 => (0..n).prop_map(Op::StartMultipart),
        2 => (0..n, 1u32..4).prop_map(|(i, p)| Op::Part(i, p)),
        4 => (0..n).prop_map(Op::Uploaded),
        3 => proptest::collection::vec(0..n, 1..4).prop_map(Op::Registered),
        1 => (0..n).prop_map(Op::Failed),
        1 => (0..n).prop_map(Op::Refused),
        1 => Just(Op::RetryFailed),
    ];
    // Always begin with the folder.
    proptest::collection::vec(op, 1..40).prop_map(|mut v| {
        v.insert(0, Op::Sync(vec![Some(0); NAMES.len()]));
        v
    })
}

/// What the journal should know of one file.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    version: u8,
    state: FileState,
    etag: bool,
    multipart: bool,
    parts: bool,
}

fn dataset(present: &[Option<u8>]) -> Dataset {
    let files: Vec<DatasetFile> = NAMES
        .iter()
        .zip(present)
        .filter_map(|(n, v)| v.map(|v| DatasetFile { name: n.to_string(), path: n.into(), size: 100 + v as u64, mtime_ns: 1000 + v as i64, kind: FileKind::of(n), not_an_image: false }))
        .collect();
    Dataset { root: "/survey".into(), total_bytes: files.iter().map(|f| f.size).sum(), files, skipped: Vec::new(), photos: 0, lidar_files: 0, photos_without_exif: 0 }
}

proptest! {
    #![proptest_config(cases(48))]

    /// Any sequence of scans, sends, registrations, failures, refusals and retries leaves the
    /// journal where the model says: a registered file never goes back unless it changed on
    /// disk; a refused file is sent again on retry, a failed one with its ETag only registered
    /// again; a file gone from the folder is forgotten unless registered; the totals add up.
    #[test]
    fn the_upload_journal_follows_its_model(ops in ops()) {
        let dir = tempfile::tempdir().unwrap();
        let db = terradesk_core::db::Db::open(&dir.path().join("j.db")).unwrap();
        let j = UploadJournal::new(db);
        let up = j.open_upload("/survey", "res", "http://h").unwrap();
        let mut model: BTreeMap<usize, Model> = BTreeMap::new();
        for op in &ops {
            match op {
                Op::Sync(present) => {
                    let report = j.sync(up, &dataset(present)).unwrap();
                    let mut changed = Vec::new();
                    let mut removed = Vec::new();
                    for (i, v) in present.iter().enumerate() {
                        match (v, model.get(&i).cloned()) {
                            (Some(v), None) => { model.insert(i, Model { version: *v, state: FileState::Pending, etag: false, multipart: false, parts: false }); }
                            (Some(v), Some(m)) if m.version != *v => {
                                if m.state != FileState::Pending { changed.push(NAMES[i].to_string()); }
                                // The multipart id is kept, so that the engine aborts it.
                                model.insert(i, Model { version: *v, state: FileState::Pending, etag: false, multipart: m.multipart, parts: false });
                            }
                            (None, Some(m)) if m.state != FileState::Registered => { model.remove(&i); removed.push(NAMES[i].to_string()); }
                            _ => {}
                        }
                    }
                    changed.sort();
                    removed.sort();
                    prop_assert_eq!(&report.changed, &changed);
                    prop_assert_eq!(&report.removed, &removed);
                }
                Op::StartMultipart(i) => {
                    j.start_multipart(up, NAMES[*i], "k", "p/", "cb", "mp-1", 5 << 20).unwrap();
                    if let Some(m) = model.get_mut(i) { m.multipart = true; }
                }
                Op::Part(i, n) => {
                    // Parts are only ever sent for a file the journal holds.
                    if let Some(m) = model.get_mut(i) {
                        j.record_part(up, NAMES[*i], "mp-1", *n, "e", 5).unwrap();
                        m.parts = true;
                    }
                }
                Op::Uploaded(i) => {
                    j.mark_uploaded(up, NAMES[*i], "k", "p/", "etag", "cb").unwrap();
                    if let Some(m) = model.get_mut(i) { m.state = FileState::Uploaded; m.etag = true; m.multipart = false; m.parts = false; }
                }
                Op::Registered(is) => {
                    let names: Vec<String> = is.iter().map(|i| NAMES[*i].to_string()).collect();
                    j.mark_registered(up, &names).unwrap();
                    for i in is { if let Some(m) = model.get_mut(i) { m.state = FileState::Registered; } }
                }
                Op::Failed(i) => {
                    j.mark_failed(up, NAMES[*i], "failed").unwrap();
                    if let Some(m) = model.get_mut(i) { m.state = FileState::Failed; }
                }
                Op::Refused(i) => {
                    j.mark_refused(up, NAMES[*i], "refused").unwrap();
                    if let Some(m) = model.get_mut(i) { m.state = FileState::Failed; m.etag = false; }
                }
                Op::RetryFailed => {
                    let n = j.retry_failed(up).unwrap();
                    prop_assert_eq!(n, model.values().filter(|m| m.state == FileState::Failed).count());
                    for m in model.values_mut() {
                        if m.state == FileState::Failed { m.state = if m.etag { FileState::Uploaded } else { FileState::Pending }; }
                    }
                }
            }
            // The journal, file by file, is the model.
            let files = j.files(up).unwrap();
            prop_assert_eq!(files.len(), model.len(), "after {:?}", op);
            for f in &files {
                let i = NAMES.iter().position(|n| *n == f.name).unwrap();
                let m = &model[&i];
                prop_assert_eq!(f.state, m.state, "{} after {:?}", f.name, op);
                prop_assert_eq!(f.etag.is_some(), m.etag, "{} etag after {:?}", f.name, op);
                prop_assert_eq!(f.multipart_id.is_some(), m.multipart, "{} multipart after {:?}", f.name, op);
                prop_assert_eq!(f.size, 100 + m.version as u64);
                prop_assert_eq!(!j.parts(up, &f.name, "mp-1").unwrap().is_empty(), m.parts, "{} parts after {:?}", f.name, op);
            }
            let t = j.totals(up).unwrap();
            prop_assert_eq!(t.files as usize, model.len());
            prop_assert_eq!(t.registered as usize, model.values().filter(|m| m.state == FileState::Registered).count());
            prop_assert_eq!(t.failed as usize, model.values().filter(|m| m.state == FileState::Failed).count());
            prop_assert_eq!(t.uploaded_files as usize, model.values().filter(|m| matches!(m.state, FileState::Uploaded | FileState::Registered)).count());
        }
    }
}

#[test]
fn the_journal_keeps_hosts_apart_and_reuses_an_intent() {
    let dir = tempfile::tempdir().unwrap();
    let j = UploadJournal::new(terradesk_core::db::Db::open(&dir.path().join("j.db")).unwrap());
    // The same folder uploaded to the sandbox and to the US region: two uploads, each its own.
    let sandbox = j.open_upload("/survey", "res-a", "http://127.0.0.1:1").unwrap();
    let us = j.open_upload("/survey", "res-a", "https://us.example").unwrap();
    assert_ne!(sandbox, us);
    assert_eq!(j.latest_for_root("/survey", "http://127.0.0.1:1").unwrap().unwrap().id, sandbox);
    assert_eq!(j.latest_for_root("/survey", "https://us.example").unwrap().unwrap().id, us);
    assert!(j.latest_for_root("/survey", "https://cn.example").unwrap().is_none());
    // Reopening finds the same one.
    assert_eq!(j.open_upload("/survey", "res-a", "http://127.0.0.1:1").unwrap(), sandbox);

    // An intent, saved before the resource is created, is found by a rerun with its marker.
    let intent = j.intend_upload("/other", "https://us.example", "td-marker-1").unwrap();
    let row = j.latest_for_root("/other", "https://us.example").unwrap().unwrap();
    assert_eq!((row.id, row.resource_uuid.as_str(), row.state.as_str(), row.marker.as_deref()), (intent, "", "intent", Some("td-marker-1")));
    j.set_upload_resource(intent, "res-b").unwrap();
    let row = j.latest_for_root("/other", "https://us.example").unwrap().unwrap();
    assert_eq!((row.resource_uuid.as_str(), row.state.as_str()), ("res-b", "active"));
    assert_eq!(j.open_upload("/other", "res-b", "https://us.example").unwrap(), intent);
}
