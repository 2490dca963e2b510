//! The checked-in TypeScript bindings must be what the Rust types generate. Run
//! `npm run bindings` (UPDATE_BINDINGS=1) to regenerate them.

#[test]
fn bindings_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
    let generated = terradesk_app_lib::typescript_bindings();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "ui/src/lib/bindings.ts is out of date with the Rust types: run `npm run bindings` and commit the result"
    );
}
