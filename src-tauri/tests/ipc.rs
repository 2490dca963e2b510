//! The shell's commands over IPC on Tauri's mock runtime: what the page sends, what it gets back.
//! Keychain-backed: run under scripts/headless.sh (a real gnome-keyring Secret Service).

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;
use terradesk_app_lib::{build_app, desk_config, mount, open_desk, specta_builder};
use terradesk_core::credentials::Keychain;
use terradesk_core::settings::SettingsFile;
use terradesk_core::{Account, Region};

struct TestApp {
    _app: tauri::App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
    keychain: Keychain,
    _dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for r in Region::ALL {
            let _ = self.keychain.delete(r);
        }
    }
}

fn app(name: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let keychain = Keychain::new(format!("TerraDesk-ipc-{name}-{}", std::process::id()));
    let account = Account::new(SettingsFile::in_dir(dir.path()), keychain.clone());
    let desk = open_desk(desk_config(dir.path().to_path_buf(), account)).unwrap();
    let specta = specta_builder!(MockRuntime);
    let app = build_app(mock_builder(), &specta, desk).build(mock_context(noop_assets())).unwrap();
    mount(&app, &specta);
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    TestApp { _app: app, webview, keychain, _dir: dir }
}

fn invoke(app: &TestApp, cmd: &str, args: Value) -> Result<Value, Value> {
    let res = get_ipc_response(
        &app.webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: app.webview.url().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    );
    res.map(|b| b.deserialize::<Value>().unwrap())
}

#[test]
fn save_then_get_returns_the_access_key_and_never_the_secret() {
    let app = app("save");
    let secret = "ipc-secret/+=value";
    let saved = invoke(&app, "save_account", json!({"region": "cn", "accessKey": "AK-ipc", "secretKey": secret})).unwrap();
    assert_eq!(saved, json!({"region": "cn", "accessKey": "AK-ipc", "secretStored": true}));
    let got = invoke(&app, "get_account", json!({})).unwrap();
    assert_eq!(got, saved);
    assert!(!got.to_string().contains(secret));
    assert_eq!(app.keychain.load(Region::Cn).unwrap().unwrap().secret_key.expose(), secret);

    let deleted = invoke(&app, "delete_account", json!({"region": "cn"})).unwrap();
    assert_eq!(deleted, json!({"region": "cn", "accessKey": null, "secretStored": false}));
}

#[test]
fn errors_cross_ipc_in_one_shape() {
    let app = app("errors");
    let err = invoke(&app, "save_account", json!({"region": "us", "accessKey": "", "secretKey": "x"})).unwrap_err();
    assert_eq!(err["code"], "auth.key_empty", "{err}");
    assert_eq!(err["params"], json!({"field": "AccessKey"}), "{err}");
    assert!(err["message"].as_str().unwrap().contains("AccessKey is empty"));
    assert!(err.get("detail").is_some());
    assert_eq!(err.as_object().unwrap().len(), 4, "{err}");

    // A region the app does not know is refused by the argument types.
    assert!(invoke(&app, "select_region", json!({"region": "mars"})).is_err());
}

#[test]
fn test_connection_in_the_sandbox_works_without_keys_and_names_wrong_keys() {
    let app = app("connect");
    invoke(&app, "select_region", json!({"region": "sandbox"})).unwrap();
    let report = invoke(&app, "test_connection", json!({"region": "sandbox"})).unwrap();
    assert_eq!(report["region"], "sandbox");
    assert!(report["host"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    assert!(report["tokenExpiresInSeconds"].as_u64().unwrap() > 500);

    invoke(&app, "save_account", json!({"region": "sandbox", "accessKey": "sandbox-demo-ak", "secretKey": "not-the-secret"})).unwrap();
    let err = invoke(&app, "test_connection", json!({"region": "sandbox"})).unwrap_err();
    assert_eq!(err["code"], "auth.wrong_keys", "{err}");
    // The keys typed in the form are the ones tested, saved or not.
    let report = invoke(&app, "test_connection", json!({"region": "sandbox", "accessKey": "sandbox-demo-ak", "secretKey": "sandbox-demo-sk-0123456789abcdef"})).unwrap();
    assert_eq!(report["region"], "sandbox");
}

#[test]
fn test_connection_without_keys_in_a_real_region_says_what_to_do() {
    let app = app("nokeys");
    invoke(&app, "select_region", json!({"region": "us"})).unwrap();
    let err = invoke(&app, "test_connection", json!({"region": "us"})).unwrap_err();
    assert_eq!(err["code"], "auth.no_keys");
    assert!(err["message"].as_str().unwrap().contains("Settings"));
}

#[test]
fn a_dropped_folder_is_summarised_with_what_was_skipped_and_the_suggested_kind() {
    let app = app("scan");
    let dir = tempfile::tempdir().unwrap();
    for i in 0..12 {
        std::fs::write(dir.path().join(format!("DJI_{i:04}.JPG")), terradesk_sandbox::fixtures::fake_photo(i, 64)).unwrap();
    }
    std::fs::write(dir.path().join("Thumbs.db"), b"x").unwrap();
    let s = invoke(&app, "scan_folder", json!({"path": dir.path()})).unwrap();
    assert_eq!(s["fileCount"], 12);
    assert_eq!(s["photos"], 12);
    assert_eq!(s["suggestedKind"], "map2d");
    assert_eq!(s["skipped"][0]["name"], "Thumbs.db");
    let problems = s["problems"].as_array().unwrap();
    let lidar = problems.iter().find(|p| p["kind"] == "lidar").unwrap();
    assert_eq!(lidar["problems"][0]["code"], "dataset.no_lidar");
    assert!(lidar["problems"][0]["message"].as_str().unwrap().contains("LiDAR"));
    let map = problems.iter().find(|p| p["kind"] == "map2d").unwrap();
    assert_eq!(map["problems"], json!([]));

    let err = invoke(&app, "scan_folder", json!({"path": "/no/such/folder"})).unwrap_err();
    assert_eq!(err["code"], "dataset.not_found");
    assert!(err["message"].as_str().unwrap().contains("does not exist"));
}

#[test]
fn the_form_comes_from_the_cores_schema_and_is_validated_there() {
    let app = app("schema");
    let schema = invoke(&app, "param_schema", json!({"kind": "model3d"})).unwrap();
    let simplify = schema.as_array().unwrap().iter().find(|s| s["key"] == "model_simplify").unwrap();
    assert_eq!(simplify["type"], "float");
    assert_eq!(simplify["min"], 0.05);
    assert!(simplify["helpZh"].as_str().unwrap().contains("三角面"));

    let errors = invoke(&app, "validate_params", json!({"params": {"kind": "model3d", "values": {"model_simplify": 2}}})).unwrap();
    assert_eq!(errors[0]["key"], "model_simplify");
    let ok = invoke(&app, "validate_params", json!({"params": {"kind": "model3d", "values": {"model_simplify": 0.5}}})).unwrap();
    assert_eq!(ok, json!([]));

    let found = invoke(&app, "search_coordinate_systems", json!({"query": "32650"})).unwrap();
    assert_eq!(found[0]["code"], "EPSG:32650");
    let catalog = invoke(&app, "catalog", json!({})).unwrap();
    assert!(catalog["presets"].as_array().unwrap().iter().any(|p| p["id"] == "lidar-dem"));
    assert_eq!(catalog["regions"][0], json!({"id": "us", "host": "https://openapi-us.dji.com"}));
    assert!(catalog["languages"].as_array().unwrap().iter().any(|l| l["id"] == "zh-CN"));
    assert_eq!(invoke(&app, "list_jobs", json!({})).unwrap(), json!([]));
}
