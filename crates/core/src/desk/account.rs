//! The façade's account and settings verbs. Keychain calls block (D-Bus, Keychain Services), so
//! they run off the async runtime.

use super::views::{DeskEvent, LANGUAGES};
use super::Desk;
use crate::account::AccountView;
use crate::connection::{self, ConnectionReport, Target};
use crate::credentials::Credentials;
use crate::settings::Settings;
use crate::{Error, Region, Result, SecretKey};

impl Desk {
    async fn blocking<T: Send + 'static>(&self, f: impl FnOnce(&crate::Account) -> Result<T> + Send + 'static) -> Result<T> {
        let account = self.inner.account.clone();
        tokio::task::spawn_blocking(move || f(&account)).await.map_err(Error::internal)?
    }

    pub async fn account(&self) -> Result<AccountView> {
        self.blocking(|a| a.view()).await
    }

    pub async fn account_of(&self, region: Region) -> Result<AccountView> {
        self.blocking(move |a| a.view_of(region)).await
    }

    pub async fn select_region(&self, region: Region) -> Result<AccountView> {
        let v = self.blocking(move |a| a.select_region(region)).await?;
        self.emit(DeskEvent::Account(v.clone()));
        Ok(v)
    }

    /// Store a region's keys in the keychain (`secret_key: None` keeps the stored one) and use it.
    pub async fn save_account(&self, region: Region, access_key: String, secret_key: Option<SecretKey>) -> Result<AccountView> {
        let v = self.blocking(move |a| a.save(region, &access_key, secret_key)).await?;
        self.emit(DeskEvent::Account(v.clone()));
        Ok(v)
    }

    pub async fn delete_account(&self, region: Region) -> Result<AccountView> {
        let v = self.blocking(move |a| a.delete(region)).await?;
        self.emit(DeskEvent::Account(v.clone()));
        Ok(v)
    }

    /// Obtain a storage token in `region`: with the keys given (the SecretKey left out means the
    /// stored one), or else the stored keys.
    pub async fn test_connection(&self, region: Region, keys: Option<(String, Option<SecretKey>)>) -> Result<ConnectionReport> {
        let target = match keys {
            None => self.target(region).await?,
            Some((access_key, secret)) => {
                let host = match region.host() {
                    Some(h) => h.to_string(),
                    None => self.sandbox_url(region).await?.unwrap_or_default(),
                };
                let secret = match secret.filter(|s| !s.expose().trim().is_empty()) {
                    Some(s) => s,
                    None => self.blocking(move |a| a.credentials(region)).await?.map(|c| c.secret_key).ok_or(Error::SecretMissing)?,
                };
                let proxy = self.blocking(|a| a.proxy()).await?;
                Target { region, host, credentials: Credentials::new(access_key, SecretKey::new(secret.expose().trim()))?, proxy }
            }
        };
        connection::test_connection(&target).await
    }

    pub async fn settings(&self) -> Result<Settings> {
        self.blocking(|a| a.settings()).await
    }

    /// The speed limit for uploads and downloads, in bytes per second (0: full speed): saved, and
    /// applied at once to the transfers running.
    pub async fn set_speed_limit(&self, bytes_per_second: u64) -> Result<Settings> {
        let s = self.change_limits(move |s| s.speed_limit = bytes_per_second).await?;
        tracing::info!(bytes_per_second, "speed limit set");
        Ok(s)
    }

    /// The rest of the limit: a share of the link instead of a rate (`share` percent, 0: none;
    /// 50 leaves half to others), and the full-speed hours (`"19:00"`–`"07:00"`; both empty: none).
    pub async fn set_link_limits(&self, share: u8, full_speed_from: String, full_speed_to: String) -> Result<Settings> {
        for t in [&full_speed_from, &full_speed_to] {
            if !t.trim().is_empty() && crate::throttle::parse_clock(t).is_none() {
                return Err(Error::InvalidClock { value: t.clone() });
            }
        }
        if full_speed_from.trim().is_empty() != full_speed_to.trim().is_empty() {
            return Err(Error::InvalidClock { value: if full_speed_from.trim().is_empty() { full_speed_from } else { full_speed_to } });
        }
        self.change_limits(move |s| {
            s.link_share = share.min(100);
            s.full_speed_from = full_speed_from.trim().to_string();
            s.full_speed_to = full_speed_to.trim().to_string();
        })
        .await
    }

    /// Save a change of the limit's settings and apply it at once, to the transfers running too.
    /// Read the settings, change them, save them; what was saved.
    async fn change_settings(&self, change: impl FnOnce(&mut Settings) + Send + 'static) -> Result<Settings> {
        self.blocking(move |a| {
            let mut s = a.settings()?;
            change(&mut s);
            a.save_settings(&s)?;
            Ok(s)
        })
        .await
    }

    async fn change_limits(&self, change: impl FnOnce(&mut Settings) + Send + 'static) -> Result<Settings> {
        let s = self.change_settings(change).await?;
        let rate = {
            let mut g = self.inner.governor.lock().unwrap();
            g.policy = crate::throttle::LimitPolicy::from_settings(&s);
            let (_, transferring) = super::transfers(&self.inner);
            g.tick(std::time::Instant::now(), super::minute_of_day(), 0.0, transferring)
        };
        self.inner.limit.set(rate);
        Ok(s)
    }

    /// The proxy settings (never the password: only whether one is stored).
    pub async fn proxy(&self) -> Result<crate::net::ProxyView> {
        self.blocking(|a| a.proxy_view()).await
    }

    /// Save the proxy settings (`password`: `None` keeps the stored one, empty removes it). Jobs
    /// use them from their next connection; a running upload keeps the connections it has.
    pub async fn save_proxy(&self, proxy: crate::net::ProxySettings, password: Option<SecretKey>) -> Result<crate::net::ProxyView> {
        self.blocking(move |a| a.save_proxy(proxy, password)).await
    }

    /// "auto" follows the system; else "en" or "zh-CN".
    /// The background map under New job's photo map: on or off, and from which tile URL.
    pub async fn set_map_tiles(&self, on: bool, url: String) -> Result<Settings> {
        let url = if url.trim().is_empty() { crate::tiles::OSM.to_string() } else { url.trim().to_string() };
        crate::tiles::check_template(&url)?;
        self.change_settings(move |s| {
            s.map_tiles = on;
            s.map_tile_url = url;
        })
        .await
    }

    /// Where updates are looked for: a `latest.json` URL (http or https), or empty for
    /// TerraDesk's own feed.
    pub async fn set_update_feed(&self, url: String) -> Result<Settings> {
        let url = url.trim().to_string();
        let web = (url.starts_with("https://") || url.starts_with("http://")) && reqwest::Url::parse(&url).is_ok();
        if !url.is_empty() && !web {
            return Err(Error::InvalidAddress { value: url });
        }
        self.change_settings(move |s| s.update_feed = url).await
    }

    /// One background map tile (PNG or JPEG bytes), when the user turned the background map on:
    /// through the proxy, kept in the data folder's `tiles/` for the next time.
    pub async fn map_tile(&self, z: u8, x: u32, y: u32) -> Result<Vec<u8>> {
        let s = self.settings().await?;
        if !s.map_tiles {
            return Err(Error::Usage { message: "the background map is off (Settings → General)".into() });
        }
        let proxy = self.blocking(|a| a.proxy()).await?;
        let client = crate::results::download::http_client(&proxy)?;
        crate::tiles::tile(&client, &self.data_dir().join("tiles"), &s.map_tile_url, z, x, y).await
    }

    pub async fn set_language(&self, language: String) -> Result<Settings> {
        if !LANGUAGES.iter().any(|(id, _)| *id == language) {
            return Err(Error::UnknownLanguage { value: language });
        }
        self.change_settings(move |s| s.language = language).await
    }
}
