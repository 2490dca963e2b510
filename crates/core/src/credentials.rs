//! The AccessKey/SecretKey pair of each region, kept in the OS keychain (Secret Service on Linux,
//! Keychain on macOS, Credential Manager on Windows) and nowhere else.

use crate::{Error, Region, Result, SecretKey};
use serde::{Deserialize, Serialize};

/// The keychain service name the app and the CLI use.
pub const KEYCHAIN_SERVICE: &str = "TerraDesk";

/// A key pair read back from the keychain, ready to sign.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: SecretKey,
}

impl Credentials {
    pub fn new(access_key: impl Into<String>, secret_key: SecretKey) -> Result<Self> {
        let access_key = access_key.into().trim().to_string();
        validate_key("AccessKey", &access_key)?;
        validate_key("SecretKey", secret_key.expose())?;
        Ok(Credentials { access_key, secret_key })
    }
}

fn validate_key(label: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::KeyEmpty { field: label.into() });
    }
    if value.len() > 256 {
        return Err(Error::KeyTooLong { field: label.into() });
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::KeyHasSpaces { field: label.into() });
    }
    // The AccessKey goes into the Authorization header as `username="…"`: a quote, comma or
    // backslash there would add parameters of its own. No DJI key has them, nor non-ASCII.
    if label == "AccessKey" && value.chars().any(|c| matches!(c, '"' | ',' | '\\' | ';') || !c.is_ascii()) {
        return Err(Error::KeyBadCharacters { field: label.into() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_access_key_cannot_carry_authorization_parameters() {
        for bad in ["AK\",signature=\"x", "AK,headers=\"date\"", "AK\\", "ÄK"] {
            let e = Credentials::new(bad, SecretKey::new("s")).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::KeyBadCharacters, "{bad}");
        }
        assert!(Credentials::new("AKIA-123_abc.def", SecretKey::new("s+/=")).is_ok());
    }
}

/// How the pair is stored as one keychain item: one write, so the two never disagree.
#[derive(Serialize, Deserialize)]
struct StoredPair {
    #[serde(rename = "accessKey")]
    access_key: String,
    #[serde(rename = "secretKey")]
    secret_key: String,
}

/// One keychain item per region under a service name (tests use their own service name).
#[derive(Clone, Debug)]
pub struct Keychain {
    service: String,
}

impl Default for Keychain {
    fn default() -> Self {
        Keychain::new(KEYCHAIN_SERVICE)
    }
}

impl Keychain {
    pub fn new(service: impl Into<String>) -> Self {
        Keychain { service: service.into() }
    }

    fn entry(&self, region: Region) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, region.id()).map_err(keychain_error)
    }

    pub fn save(&self, region: Region, creds: &Credentials) -> Result<()> {
        let pair = StoredPair {
            access_key: creds.access_key.clone(),
            secret_key: creds.secret_key.expose().to_string(),
        };
        let text = SecretKey::new(serde_json::to_string(&pair).expect("a pair of strings serialises"));
        drop(pair);
        self.entry(region)?.set_password(text.expose()).map_err(keychain_error)?;
        tracing::info!(region = region.id(), "key pair saved to the keychain");
        Ok(())
    }

    /// The stored pair, or `None` when the region has none.
    pub fn load(&self, region: Region) -> Result<Option<Credentials>> {
        match self.entry(region)?.get_password() {
            Ok(text) => {
                let text = SecretKey::new(text);
                let pair: StoredPair = serde_json::from_str(text.expose()).map_err(|_| {
                    Error::Keychain { reason: format!(
                        "the keychain item for the {} region is not one TerraDesk wrote; delete the keys and save them again",
                        region.label()
                    ) }
                })?;
                Ok(Some(Credentials { access_key: pair.access_key, secret_key: SecretKey::new(pair.secret_key) }))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }

    /// Remove the region's pair; removing what is not there is fine.
    pub fn delete(&self, region: Region) -> Result<()> {
        match self.entry(region)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => {
                tracing::info!(region = region.id(), "key pair removed from the keychain");
                Ok(())
            }
            Err(e) => Err(keychain_error(e)),
        }
    }
}

/// The keychain item of the proxy's password (beside the regions' key pairs).
const PROXY_ITEM: &str = "proxy";

impl Keychain {
    pub fn save_proxy_password(&self, password: &SecretKey) -> Result<()> {
        let entry = keyring::Entry::new(&self.service, PROXY_ITEM).map_err(keychain_error)?;
        entry.set_password(password.expose()).map_err(keychain_error)?;
        tracing::info!("proxy password saved to the keychain");
        Ok(())
    }

    pub fn load_proxy_password(&self) -> Result<Option<SecretKey>> {
        match keyring::Entry::new(&self.service, PROXY_ITEM).map_err(keychain_error)?.get_password() {
            Ok(p) => Ok(Some(SecretKey::new(p))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }

    pub fn delete_proxy_password(&self) -> Result<()> {
        match keyring::Entry::new(&self.service, PROXY_ITEM).map_err(keychain_error)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(e)),
        }
    }
}

fn keychain_error(e: keyring::Error) -> Error {
    // keyring's messages never contain the secret; they describe the platform failure.
    let text = match &e {
        keyring::Error::NoStorageAccess(inner) => format!("no access to the keychain ({inner})"),
        keyring::Error::PlatformFailure(inner) => format!("the keychain failed ({inner})"),
        other => other.to_string(),
    };
    Error::Keychain { reason: text }
}
