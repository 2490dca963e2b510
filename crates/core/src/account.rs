//! The account a user sees in Settings → Account: the region in use and, per region, the key pair
//! in the keychain. The SecretKey goes in and never comes back out of this module except to sign.

use crate::credentials::{Credentials, Keychain};
use crate::settings::{Settings, SettingsFile};
use crate::{Error, Region, Result, SecretKey};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What the UI may know about the account: never the SecretKey, only whether one is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub region: Region,
    pub access_key: Option<String>,
    pub secret_stored: bool,
}

#[derive(Debug, Clone)]
pub struct Account {
    settings: SettingsFile,
    keychain: Keychain,
}

impl Account {
    pub fn new(settings: SettingsFile, keychain: Keychain) -> Self {
        Account { settings, keychain }
    }

    /// The account kept in `data_dir` and the default keychain service.
    pub fn in_dir(data_dir: &Path) -> Self {
        Account::new(SettingsFile::in_dir(data_dir), Keychain::default())
    }

    pub fn settings(&self) -> Result<Settings> {
        self.settings.load()
    }

    pub fn save_settings(&self, settings: &Settings) -> Result<()> {
        self.settings.save(settings)
    }

    pub fn region(&self) -> Result<Region> {
        Ok(self.settings.load()?.region)
    }

    pub fn view(&self) -> Result<AccountView> {
        let region = self.region()?;
        self.view_of(region)
    }

    pub fn view_of(&self, region: Region) -> Result<AccountView> {
        let creds = self.keychain.load(region)?;
        Ok(AccountView {
            region,
            access_key: creds.as_ref().map(|c| c.access_key.clone()),
            secret_stored: creds.is_some(),
        })
    }

    /// Make `region` the one in use.
    pub fn select_region(&self, region: Region) -> Result<AccountView> {
        let mut s = self.settings.load()?;
        if s.region != region {
            s.region = region;
            self.settings.save(&s)?;
        }
        self.view_of(region)
    }

    /// Store the region's key pair and make the region the one in use. `secret_key: None` keeps the
    /// SecretKey already stored (the form leaves the field empty to mean "unchanged").
    pub fn save(&self, region: Region, access_key: &str, secret_key: Option<SecretKey>) -> Result<AccountView> {
        let secret_key = secret_key.filter(|s| !s.expose().trim().is_empty());
        // The sandbox works without keys: Save with nothing typed just makes it the region in use.
        if region == Region::Sandbox && access_key.trim().is_empty() && secret_key.is_none() {
            return self.select_region(region);
        }
        let secret = match secret_key {
            Some(s) => SecretKey::new(s.expose().trim()),
            None => match self.keychain.load(region)? {
                Some(old) => old.secret_key,
                None => return Err(Error::SecretMissing),
            },
        };
        let creds = Credentials::new(access_key, secret)?;
        self.keychain.save(region, &creds)?;
        self.select_region(region)
    }

    pub fn delete(&self, region: Region) -> Result<AccountView> {
        self.keychain.delete(region)?;
        self.view_of(region)
    }

    /// The proxy to connect through, with its password from the keychain (read only when the
    /// proxy has a user name).
    pub fn proxy(&self) -> Result<crate::net::Proxy> {
        let s = self.settings.load()?.proxy;
        if s.mode != crate::net::ProxyMode::Manual {
            return crate::net::Proxy::new(s, None);
        }
        let password = if s.username.is_empty() { None } else { self.keychain.load_proxy_password()? };
        crate::net::Proxy::new(s, password)
    }

    pub fn proxy_view(&self) -> Result<crate::net::ProxyView> {
        let settings = self.settings.load()?.proxy;
        let password_stored = settings.mode == crate::net::ProxyMode::Manual && !settings.username.is_empty() && self.keychain.load_proxy_password()?.is_some();
        Ok(crate::net::ProxyView { settings, password_stored, system_proxy: crate::net::system_proxy() })
    }

    /// Save the proxy settings. `password`: `None` keeps the stored one, an empty one removes it
    /// (as does an empty user name).
    pub fn save_proxy(&self, proxy: crate::net::ProxySettings, password: Option<SecretKey>) -> Result<crate::net::ProxyView> {
        let proxy = crate::net::Proxy::new(proxy, None)?.settings().clone();
        if proxy.username.is_empty() || password.as_ref().is_some_and(|p| p.is_empty()) {
            self.keychain.delete_proxy_password()?;
        } else if let Some(p) = password {
            self.keychain.save_proxy_password(&p)?;
        }
        let mut s = self.settings.load()?;
        s.proxy = proxy;
        self.settings.save(&s)?;
        tracing::info!(mode = ?s.proxy.mode, "proxy settings saved");
        self.proxy_view()
    }

    /// The key pair to sign with, for the region in use.
    pub fn credentials(&self, region: Region) -> Result<Option<Credentials>> {
        self.keychain.load(region)
    }
}
