//! Text for people, JSON for scripts.

use serde::Serialize;
use terradesk_core::{AccountView, Error, UserError};

pub struct Out {
    pub json: bool,
}

impl Out {
    pub fn value<T: Serialize>(&self, value: &T, text: &str) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value).unwrap());
        } else {
            println!("{text}");
        }
    }

    pub fn account(&self, v: &AccountView) {
        let text = format!(
            "Region: {} ({})\nAccessKey: {}\nSecretKey: {}",
            v.region.label(),
            v.region.host().unwrap_or("local sandbox"),
            v.access_key.as_deref().unwrap_or("(none)"),
            if v.secret_stored { "stored in the keychain" } else { "not stored" }
        );
        self.value(v, &text);
    }

    pub fn error(&self, e: Error) {
        let e = UserError::from(e);
        if self.json {
            println!("{}", serde_json::json!({ "error": e }));
        } else {
            eprintln!("error: {}", e.message);
        }
    }
}
