//! From the account in Settings to a signed client, and "Test connection".

use crate::api::Client;
use crate::credentials::Credentials;
use crate::{Account, Error, Region, Result, SecretKey};
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// The demo key pair of the built-in sandbox, used in the Sandbox region when no keys are saved.
pub const SANDBOX_DEMO_ACCESS_KEY: &str = "sandbox-demo-ak";
pub const SANDBOX_DEMO_SECRET_KEY: &str = "sandbox-demo-sk-0123456789abcdef";

/// Where to connect and with what, once resolved.
#[derive(Debug, Clone)]
pub struct Target {
    pub region: Region,
    pub host: String,
    pub credentials: Credentials,
    /// How to reach it (and its storage, and the result downloads).
    pub proxy: crate::net::Proxy,
}

impl Target {
    /// The target of `region` with the keys saved in the keychain. `sandbox_url` is where the
    /// sandbox runs, for the Sandbox region.
    pub fn from_account(account: &Account, region: Region, sandbox_url: Option<&str>) -> Result<Target> {
        let host = match (region.host(), sandbox_url) {
            (Some(h), _) => h.to_string(),
            (None, Some(u)) => u.to_string(),
            (None, None) => return Err(Error::SandboxUnavailable { reason: "it is not running".into() }),
        };
        let credentials = match account.credentials(region)? {
            Some(c) => c,
            None if region == Region::Sandbox => Credentials::new(SANDBOX_DEMO_ACCESS_KEY, SecretKey::new(SANDBOX_DEMO_SECRET_KEY))?,
            None => return Err(Error::NoCredentials { region }),
        };
        let proxy = account.proxy()?;
        Ok(Target { region, host, credentials, proxy })
    }

    /// For automation: `TERRADESK_HOST`, `TERRADESK_ACCESS_KEY`, `TERRADESK_SECRET_KEY`, when all
    /// three are set.
    pub fn from_env() -> Option<Result<Target>> {
        let host = std::env::var("TERRADESK_HOST").ok().filter(|s| !s.is_empty())?;
        let ak = std::env::var("TERRADESK_ACCESS_KEY").ok().filter(|s| !s.is_empty())?;
        let sk = std::env::var("TERRADESK_SECRET_KEY").ok().filter(|s| !s.is_empty())?;
        let region = Region::ALL.into_iter().find(|r| r.host() == Some(host.trim_end_matches('/'))).unwrap_or(Region::Sandbox);
        Some(Credentials::new(ak, SecretKey::new(sk)).map(|credentials| Target { region, host, credentials, proxy: crate::net::Proxy::system() }))
    }

    pub fn client(&self) -> Result<Client> {
        Client::builder(&self.host).credentials(self.credentials.clone()).proxy(self.proxy.clone()).build()
    }
}

/// What "Test connection" found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReport {
    pub region: Region,
    pub host: String,
    pub message: String,
    pub token_expires_in_seconds: u32,
}

/// Obtain a storage token: proves the keys, the clock and the network in one call.
pub async fn test_connection(target: &Target) -> Result<ConnectionReport> {
    let client = target.client()?;
    let token = client.obtain_token().await?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let expires_in = (token.expire_time - now).clamp(0, u32::MAX as i64) as u32;
    Ok(ConnectionReport {
        region: target.region,
        host: target.host.clone(),
        message: format!(
            "Connected to {} ({}) as {}: the keys work and a storage token was issued (valid for {} minutes).",
            target.region.label(),
            target.host,
            target.credentials.access_key,
            expires_in / 60
        ),
        token_expires_in_seconds: expires_in,
    })
}
