//! How TerraDesk reaches the network: directly, through the system's proxy (the default:
//! `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, and on macOS and Windows their system settings), or
//! through a proxy the user gives in Settings, with a user name and a password kept in the
//! keychain. One [`Proxy`] is used by every client alike: the TerraAPI calls, the storage
//! uploads (the AWS SDK's own HTTP client) and the result downloads.

use crate::{Error, Result, SecretKey};
use serde::{Deserialize, Serialize};

/// Which proxy to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ProxyMode {
    /// The system's proxy settings and the `HTTPS_PROXY` family of variables.
    #[default]
    System,
    /// No proxy, whatever the system says.
    Direct,
    /// The proxy in [`ProxySettings::url`].
    Manual,
}

/// The proxy as saved in settings.json: everything but the password (that is in the keychain).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct ProxySettings {
    pub mode: ProxyMode,
    /// `http://host:port` (or `https://`), for the manual mode.
    pub url: String,
    /// User name for a proxy that asks for one (empty: none).
    pub username: String,
    /// Hosts reached directly, comma-separated (`NO_PROXY` syntax: `example.com, .corp, 10.0.0.0/8`).
    pub no_proxy: String,
}

/// What Settings shows of the proxy: never the password, only whether one is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProxyView {
    #[serde(flatten)]
    pub settings: ProxySettings,
    pub password_stored: bool,
    /// The proxy the system mode uses now (from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`), without
    /// any credentials in it; empty when there is none.
    pub system_proxy: String,
}

/// The proxy to connect through, resolved (with its password).
#[derive(Clone, Default)]
pub struct Proxy {
    settings: ProxySettings,
    password: Option<SecretKey>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("mode", &self.settings.mode).field("url", &self.settings.url).field("username", &self.settings.username).finish()
    }
}

impl Proxy {
    /// The system's proxy (the default).
    pub fn system() -> Proxy {
        Proxy::default()
    }

    /// No proxy at all.
    pub fn direct() -> Proxy {
        Proxy { settings: ProxySettings { mode: ProxyMode::Direct, ..Default::default() }, password: None }
    }

    /// The proxy the settings describe; `password` from the keychain.
    pub fn new(settings: ProxySettings, password: Option<SecretKey>) -> Result<Proxy> {
        let settings = check(settings)?;
        Ok(Proxy { settings, password: password.filter(|p| !p.is_empty()) })
    }

    pub fn mode(&self) -> ProxyMode {
        self.settings.mode
    }

    pub fn settings(&self) -> &ProxySettings {
        &self.settings
    }

    /// A reqwest client builder set up to use this proxy.
    pub fn reqwest(&self, builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
        Ok(match self.settings.mode {
            ProxyMode::System => builder,
            ProxyMode::Direct => builder.no_proxy(),
            ProxyMode::Manual => {
                let mut p = reqwest::Proxy::all(&self.settings.url).map_err(|e| bad_proxy(&self.settings.url, &e.to_string()))?;
                if !self.settings.username.is_empty() {
                    p = p.basic_auth(&self.settings.username, self.password.as_ref().map(|s| s.expose()).unwrap_or(""));
                }
                p = p.no_proxy(reqwest::NoProxy::from_string(&self.settings.no_proxy));
                builder.proxy(p)
            }
        })
    }

    /// The AWS SDK's HTTP client for this proxy (its default client, with the proxy set).
    pub fn s3_http_client(&self) -> Result<aws_smithy_runtime_api::client::http::SharedHttpClient> {
        use aws_smithy_http_client::proxy::ProxyConfig;
        use aws_smithy_http_client::{tls, Builder, ConnectorBuilder};
        let config = match self.settings.mode {
            ProxyMode::System => ProxyConfig::from_env(),
            ProxyMode::Direct => ProxyConfig::disabled(),
            ProxyMode::Manual => {
                let mut c = ProxyConfig::all(self.settings.url.as_str()).map_err(|e| bad_proxy(&self.settings.url, &e.to_string()))?;
                if !self.settings.username.is_empty() {
                    c = c.with_basic_auth(self.settings.username.clone(), self.password.as_ref().map(|s| s.expose().to_string()).unwrap_or_default());
                }
                if !self.settings.no_proxy.trim().is_empty() {
                    c = c.no_proxy(&self.settings.no_proxy);
                }
                c
            }
        };
        Ok(Builder::new().build_with_connector_fn(move |settings, components| {
            let mut b = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
            b.set_connector_settings(settings.cloned());
            if let Some(c) = components {
                b.set_sleep_impl(c.sleep_impl());
            }
            b.set_proxy_config(Some(config.clone()));
            b.build()
        }))
    }
}

/// The proxy the environment names for https (what the system mode uses on Linux), without its
/// credentials; empty when none.
pub fn system_proxy() -> String {
    ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .map(|v| match url::Url::parse(v.trim()) {
            Ok(mut u) => {
                let _ = u.set_username("");
                let _ = u.set_password(None);
                u.to_string().trim_end_matches('/').to_string()
            }
            Err(_) => v.trim().to_string(),
        })
        .unwrap_or_default()
}

fn bad_proxy(url: &str, reason: &str) -> Error {
    Error::InvalidProxy { value: url.to_string(), reason: reason.to_string() }
}

/// Settings made tidy, or why they cannot be used: a manual proxy needs an http(s) address with
/// a host, and its credentials go in their own fields (a URL's would end up in settings.json).
fn check(mut s: ProxySettings) -> Result<ProxySettings> {
    s.url = s.url.trim().to_string();
    s.username = s.username.trim().to_string();
    s.no_proxy = s.no_proxy.split(',').map(str::trim).filter(|r| !r.is_empty()).collect::<Vec<_>>().join(", ");
    if s.mode != ProxyMode::Manual {
        return Ok(s);
    }
    if s.url.is_empty() {
        return Err(bad_proxy("", "no address was given"));
    }
    if !s.url.contains("://") {
        s.url = format!("http://{}", s.url);
    }
    let u = url::Url::parse(&s.url).map_err(|e| bad_proxy(&s.url, &e.to_string()))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad_proxy(&s.url, &format!("{} proxies are not supported (http and https are)", u.scheme())));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad_proxy(&s.url, "it has no host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad_proxy(&u[url::Position::BeforeHost..], "put the user name and password in their own fields, not in the address"));
    }
    if s.username.contains(':') {
        return Err(bad_proxy(&s.url, "a user name cannot contain ':'"));
    }
    // Only the scheme, host and port count.
    s.url = u[..url::Position::AfterPort].to_string();
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manual(url: &str) -> ProxySettings {
        ProxySettings { mode: ProxyMode::Manual, url: url.into(), ..Default::default() }
    }

    #[test]
    fn manual_proxies_are_checked_and_tidied() {
        let p = Proxy::new(ProxySettings { no_proxy: " a.com,, .corp ,".into(), username: " me ".into(), ..manual("proxy.corp:3128/") }, None).unwrap();
        assert_eq!(p.settings().url, "http://proxy.corp:3128");
        assert_eq!(p.settings().username, "me");
        assert_eq!(p.settings().no_proxy, "a.com, .corp");
        for (bad, why) in [("", "no address"), ("socks5://h:1080", "not supported"), ("http://", "empty host"), ("http://u:secret@h:1", "own fields")] {
            let e = Proxy::new(manual(bad), None).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InvalidProxy, "{bad}");
            assert!(e.to_string().contains(why) || bad == "http://", "{bad}: {e}");
            assert!(!e.to_string().contains("secret"), "{e}");
        }
        // Other modes keep no address checks: a saved manual address is kept for later.
        assert!(Proxy::new(ProxySettings { mode: ProxyMode::System, url: "junk".into(), ..Default::default() }, None).is_ok());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let p = Proxy::new(ProxySettings { username: "me".into(), ..manual("http://h:1") }, Some(SecretKey::new("hunter2"))).unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
        assert!(p.reqwest(reqwest::Client::builder()).unwrap().build().is_ok());
        assert!(p.s3_http_client().is_ok());
    }
}
