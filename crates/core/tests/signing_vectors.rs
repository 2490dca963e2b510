//! Every vector of signing-vectors.json (computed with the vendor's openssl recipe).

use terradesk_core::signing;
use terradesk_core::SecretKey;

#[test]
fn every_vector_matches() {
    let text = include_str!("data/signing-vectors.json");
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 5);
    for v in vectors {
        let s = |k: &str| v[k].as_str().unwrap().to_string();
        let h = signing::sign_with_date(
            &s("method"),
            &s("path"),
            s("body").as_bytes(),
            "AK",
            &SecretKey::new(s("secret_key")),
            &s("date"),
        );
        assert_eq!(h.digest, s("digest"), "digest of {}", s("path"));
        assert_eq!(h.date, s("date"));
        let auth = signing::parse_authorization(&h.authorization).unwrap();
        assert_eq!(auth.signature, s("signature"), "signature of {} {}", s("method"), s("path"));
    }
}
