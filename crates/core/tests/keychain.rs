//! Against the real OS keychain (on Linux a Secret Service: the test harness starts gnome-keyring
//! under dbus-run-session). Each test uses its own keychain service name and cleans up.

use terradesk_core::credentials::Keychain;
use terradesk_core::settings::SettingsFile;
use terradesk_core::{Account, ErrorCode, Region, SecretKey, UserError};

fn account(name: &str) -> (tempfile::TempDir, Account, Keychain) {
    let dir = tempfile::tempdir().unwrap();
    let keychain = Keychain::new(format!("TerraDesk-test-{name}-{}", std::process::id()));
    let account = Account::new(SettingsFile::in_dir(dir.path()), keychain.clone());
    (dir, account, keychain)
}

#[test]
fn save_shows_access_key_and_stored_secret_then_delete_removes_them() {
    let (dir, account, keychain) = account("roundtrip");
    let view = account.save(Region::Cn, "AK-cn-123", Some(SecretKey::new("sk/with+chars="))).unwrap();
    assert_eq!(view.region, Region::Cn);
    assert_eq!(view.access_key.as_deref(), Some("AK-cn-123"));
    assert!(view.secret_stored);

    // A fresh Account (as after a restart) reads the same back from the keychain.
    let again = Account::new(SettingsFile::in_dir(dir.path()), keychain.clone());
    assert_eq!(again.view().unwrap(), view);
    let creds = again.credentials(Region::Cn).unwrap().unwrap();
    assert_eq!(creds.secret_key.expose(), "sk/with+chars=");

    // The view serialises without the secret anywhere.
    let json = serde_json::to_string(&again.view().unwrap()).unwrap();
    assert!(!json.contains("sk/with"), "{json}");

    // Other regions are separate.
    assert_eq!(again.view_of(Region::Us).unwrap().access_key, None);

    let view = again.delete(Region::Cn).unwrap();
    assert_eq!(view.access_key, None);
    assert!(!view.secret_stored);
    assert!(keychain.load(Region::Cn).unwrap().is_none());
    // Deleting twice is fine.
    again.delete(Region::Cn).unwrap();
}

#[test]
fn empty_secret_keeps_the_stored_one_and_is_refused_when_none_is_stored() {
    let (_dir, account, keychain) = account("keep");
    let err = account.save(Region::Us, "AK1", None).unwrap_err();
    assert_eq!(UserError::from(err).code, ErrorCode::SecretMissing);

    account.save(Region::Us, "AK1", Some(SecretKey::new("first"))).unwrap();
    account.save(Region::Us, "AK2", Some(SecretKey::new("  "))).unwrap();
    let creds = keychain.load(Region::Us).unwrap().unwrap();
    assert_eq!(creds.access_key, "AK2");
    assert_eq!(creds.secret_key.expose(), "first");
    keychain.delete(Region::Us).unwrap();
}

#[test]
fn malformed_keys_are_explained() {
    let (_dir, account, _k) = account("bad");
    let err = UserError::from(account.save(Region::Us, "", Some(SecretKey::new("x"))).unwrap_err());
    assert_eq!(err.code, ErrorCode::KeyEmpty);
    assert!(err.message.contains("AccessKey is empty"), "{}", err.message);
    let err = UserError::from(account.save(Region::Us, "AK", Some(SecretKey::new("a b"))).unwrap_err());
    assert!(err.message.contains("spaces"), "{}", err.message);
    assert!(!err.message.contains("a b"));
}

#[test]
fn region_choice_persists_in_the_settings_file() {
    let (dir, account, _k) = account("region");
    assert_eq!(account.view().unwrap().region, Region::Us);
    account.select_region(Region::Sandbox).unwrap();
    let text = std::fs::read_to_string(dir.path().join("settings.json")).unwrap();
    assert!(text.contains("\"sandbox\""), "{text}");
    assert_eq!(account.view().unwrap().region, Region::Sandbox);
}
