//! Background map tiles for New job's photo map, from an OSM-style tile URL
//! (`https://tile.openstreetmap.org/{z}/{x}/{y}.png`). Off unless the user turns them on: the map
//! is drawn from the photos' coordinates alone. Tiles come through the same proxy as every other
//! request, and are kept on disk, so a map seen once draws again in the field without a network.

use crate::{Error, Result};
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default tile server (its usage policy asks for a user agent naming the app, and for the
/// attribution the map shows).
pub const OSM: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

/// Zoom levels tile servers offer.
pub const MAX_ZOOM: u8 = 19;

/// Checks a tile URL template: http(s), with `{z}`, `{x}` and `{y}`.
pub fn check_template(template: &str) -> Result<()> {
    let t = template.trim();
    let ok = (t.starts_with("https://") || t.starts_with("http://")) && ["{z}", "{x}", "{y}"].iter().all(|p| t.contains(p));
    let filled = t.replace("{z}", "1").replace("{x}", "1").replace("{y}", "1");
    if !ok || reqwest::Url::parse(&filled).is_err() {
        return Err(Error::InvalidAddress { value: template.to_string() });
    }
    Ok(())
}

/// Where tiles of `template` are kept: one folder per tile server.
fn cache_dir(root: &Path, template: &str) -> PathBuf {
    let hash = hex::encode(&sha2::Sha256::digest(template.as_bytes())[..8]);
    root.join(hash)
}

/// One tile: from the cache when it is there, else fetched (and kept). A tile server's refusal,
/// or an answer that is not an image, is an error (nothing is kept).
pub async fn tile(client: &reqwest::Client, cache: &Path, template: &str, z: u8, x: u32, y: u32) -> Result<Vec<u8>> {
    check_template(template)?;
    let n = 1u64 << z.min(MAX_ZOOM);
    if z > MAX_ZOOM || x as u64 >= n || y as u64 >= n {
        return Err(Error::Usage { message: format!("no tile {z}/{x}/{y}") });
    }
    let path = cache_dir(cache, template).join(z.to_string()).join(x.to_string()).join(format!("{y}.tile"));
    if let Ok(bytes) = tokio::fs::read(&path).await {
        return Ok(bytes);
    }
    let url = template.trim().replace("{z}", &z.to_string()).replace("{x}", &x.to_string()).replace("{y}", &y.to_string());
    let host = reqwest::Url::parse(&url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
    let answer = client.get(&url).timeout(Duration::from_secs(20)).send().await.map_err(|e| Error::Network { host: host.clone(), reason: e.to_string() })?;
    let status = answer.status();
    let image = answer.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("image/"));
    if !status.is_success() || !image {
        return Err(Error::BadAnswer { what: format!("the map tile server {host}"), detail: format!("HTTP {status}{}", if image { "" } else { ", not an image" }) });
    }
    let bytes = answer.bytes().await.map_err(|e| Error::Network { host, reason: e.to_string() })?.to_vec();
    if let Some(dir) = path.parent() {
        // Keeping it is a nicety: a full disk or a read-only folder only costs the next fetch.
        if tokio::fs::create_dir_all(dir).await.is_ok() {
            let _ = crate::settings::write_atomically(&path, &bytes);
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_need_a_scheme_and_the_three_places() {
        assert!(check_template(OSM).is_ok());
        assert!(check_template("http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png").is_ok());
        for bad in ["", "tile.openstreetmap.org/{z}/{x}/{y}.png", "https://t.example/{z}/{x}.png", "ftp://t/{z}/{x}/{y}"] {
            assert!(check_template(bad).is_err(), "{bad}");
        }
    }
}
