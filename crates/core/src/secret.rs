//! Secrets are a type: `Debug` and `Display` print `***`, there is no `Serialize`, and the bytes
//! are wiped when dropped. The only way to see the key is [`SecretKey::expose`], which the signer
//! and the keychain use.

use std::fmt;

pub struct SecretKey(String);

impl SecretKey {
    pub fn new(value: impl Into<String>) -> Self {
        SecretKey(value.into())
    }

    /// The key itself, for signing and for the keychain only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Clone for SecretKey {
    fn clone(&self) -> Self {
        SecretKey(self.0.clone())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        // Overwrite the bytes before the allocation is freed.
        let bytes = unsafe { self.0.as_bytes_mut() };
        for b in bytes.iter_mut() {
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_key() {
        let s = SecretKey::new("very-secret-value");
        assert_eq!(format!("{s:?}"), "SecretKey(***)");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(s.expose(), "very-secret-value");
    }
}
