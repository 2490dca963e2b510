//! Temporary storage credentials and the S3 client that goes with them. A token is refreshed
//! before its `expireTime`, and again whenever the storage says it expired.

use crate::api::StoreToken;
use crate::cloud::Cloud;
use crate::{Error, Result};
use aws_sdk_s3::config::{BehaviorVersion, Region, RequestChecksumCalculation, ResponseChecksumValidation, StalledStreamProtectionConfig};
use md5::{Digest, Md5};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// One token and its S3 client.
pub struct StorageSession {
    pub token: StoreToken,
    pub s3: aws_sdk_s3::Client,
    /// `storePath` without `/{fileName}`.
    pub prefix: String,
    pub generation: u64,
    /// Unix seconds when the token was obtained, by this computer's clock.
    pub issued_at: i64,
}

impl std::fmt::Debug for StorageSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageSession").field("prefix", &self.prefix).field("generation", &self.generation).finish()
    }
}

/// What a token may send the upload to: an https endpoint (plain http only on this computer), in
/// a region that is a plain name (it becomes part of a host name).
pub fn check_token(token: &StoreToken) -> Result<()> {
    let bad = |detail: String| Err(Error::BadAnswer { what: "the storage token".into(), detail });
    let region_ok = token.region.is_empty() || (token.region.len() <= 40 && token.region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    if !region_ok {
        return bad(format!("region \"{}\" is not a region name", token.region));
    }
    if token.cloud_bucket_name.is_empty() || token.cloud_bucket_name.contains(['/', '\\', '?', '#']) {
        return bad(format!("bucket \"{}\" is not a bucket name", token.cloud_bucket_name));
    }
    if let Some(endpoint) = token.storage_endpoint() {
        let Ok(u) = url::Url::parse(&endpoint) else { return bad(format!("endpoint \"{endpoint}\" is not an address")) };
        let local = u.host_str().is_some_and(|h| h == "localhost" || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()));
        match u.scheme() {
            "https" => {}
            "http" if local => {}
            other => return bad(format!("endpoint {endpoint} uses {other}, not https")),
        }
        if !u.username().is_empty() || u.password().is_some() || u.path() != "/" || u.query().is_some() {
            return bad(format!("endpoint {endpoint} is not a plain host"));
        }
    }
    Ok(())
}

impl StorageSession {
    pub fn new(token: StoreToken, generation: u64, proxy: &crate::net::Proxy) -> Result<StorageSession> {
        check_token(&token)?;
        let prefix = token.store_path.replace("/{fileName}", "").replace("{fileName}", "").trim_end_matches('/').to_string();
        let s3 = s3_client(&token, proxy)?;
        Ok(StorageSession { token, s3, prefix, generation, issued_at: crate::db::now_unix() })
    }

    pub fn key(&self, name: &str) -> String {
        self.token.object_key(name)
    }

    pub fn bucket(&self) -> &str {
        &self.token.cloud_bucket_name
    }

    fn expires_in(&self) -> i64 {
        self.token.expire_time - crate::db::now_unix()
    }
}

/// The S3 client for a token: path-style for local endpoints, and for Aliyun OSS request
/// checksums only when required (OSS refuses the streaming aws-chunked encoding); through `proxy`.
pub fn s3_client(token: &StoreToken, proxy: &crate::net::Proxy) -> Result<aws_sdk_s3::Client> {
    // No expiry is given to the SDK: the storage's own ExpiredToken answer is what triggers a
    // refresh, so a slow clock cannot stop an upload.
    let creds = aws_credential_types::Credentials::new(
        &token.access_key_id,
        &token.secret_access_key,
        Some(token.session_token.clone()),
        None,
        "terraapi-obtain-token",
    );
    let region = if token.region.is_empty() { "us-east-1".to_string() } else { token.region.clone() };
    let mut b = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(creds)
        // Our own retries decide; the SDK's tries a few quick ones first.
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(15))
                .operation_attempt_timeout(Duration::from_secs(600))
                .build(),
        )
        .stalled_stream_protection(StalledStreamProtectionConfig::enabled().grace_period(Duration::from_secs(30)).build());
    // The SDK's default client follows HTTPS_PROXY and the like; any other choice needs its own.
    if proxy.mode() != crate::net::ProxyMode::System {
        b = b.http_client(proxy.s3_http_client()?);
    }
    if let Some(endpoint) = token.storage_endpoint() {
        let local = url::Url::parse(&endpoint)
            .ok()
            .and_then(|u| u.host_str().map(|h| h == "localhost" || h.parse::<std::net::IpAddr>().is_ok()))
            .unwrap_or(false);
        b = b.endpoint_url(endpoint).force_path_style(local);
    }
    if token.is_ali_oss() {
        b = b
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    }
    Ok(aws_sdk_s3::Client::from_conf(b.build()))
}

/// Hands out the current storage session, refreshing the token before it expires.
pub struct TokenSource {
    cloud: Arc<dyn Cloud>,
    state: Mutex<Tokens>,
}

struct Tokens {
    current: Option<Arc<StorageSession>>,
    generation: u64,
    /// New tokens refused as if expired, in a row: a token that fails the moment it is issued is
    /// not stale, the storage refuses it.
    fresh_refusals: u32,
}

/// A token refused within this long of being issued was not expired.
const FRESH: i64 = 20;
/// Refusals of fresh tokens in a row before the upload stops and says so.
const MAX_FRESH_REFUSALS: u32 = 3;

impl TokenSource {
    pub fn new(cloud: Arc<dyn Cloud>) -> Self {
        TokenSource { cloud, state: Mutex::new(Tokens { current: None, generation: 0, fresh_refusals: 0 }) }
    }

    pub fn cloud(&self) -> &Arc<dyn Cloud> {
        &self.cloud
    }

    /// The session to use now: a new token when the current one has less than a minute (or a
    /// third of its life, for short-lived tokens) left.
    pub async fn session(&self) -> Result<Arc<StorageSession>> {
        let mut st = self.state.lock().await;
        if let Some(s) = st.current.as_ref() {
            let lifetime = (s.token.expire_time - s.issued_at).max(0);
            let margin = (lifetime / 3).min(60);
            if s.expires_in() > margin {
                return Ok(s.clone());
            }
        }
        let token = self.cloud.storage_grant().await?;
        st.generation += 1;
        let s = Arc::new(StorageSession::new(token, st.generation, &self.cloud.proxy())?);
        if s.generation > 1 {
            tracing::info!(generation = s.generation, "storage token refreshed");
        }
        st.current = Some(s.clone());
        Ok(s)
    }

    /// The storage refused `stale` as expired: drop it (once, however many workers saw it). When
    /// tokens are refused as soon as they are issued, refreshing will not help: stop and say so.
    pub async fn expired(&self, stale: &StorageSession) -> Result<()> {
        let mut st = self.state.lock().await;
        if st.current.as_ref().is_some_and(|s| s.generation == stale.generation) {
            st.current = None;
            if crate::db::now_unix() - stale.issued_at < FRESH {
                st.fresh_refusals += 1;
            } else {
                st.fresh_refusals = 0;
            }
        }
        if st.fresh_refusals >= MAX_FRESH_REFUSALS {
            return Err(Error::StorageDenied { code: "a new token was refused at once".into() });
        }
        Ok(())
    }
}

/// Whether an S3 error means the credentials are stale (a new token will fix it).
pub fn is_expired_credentials(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("ExpiredToken" | "InvalidToken" | "TokenRefreshRequired" | "InvalidAccessKeyId" | "SecurityTokenExpired" | "InvalidSecurityToken" | "RequestTimeTooSkewed")
    )
}

/// Feed up to `len` bytes of `f` into `h`; how many there were.
pub fn hash_up_to(f: &mut impl std::io::Read, buf: &mut [u8], h: &mut Md5, len: u64) -> std::io::Result<u64> {
    let mut left = len;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let n = f.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(len - left)
}

/// The ETag S3 gives a file uploaded whole (`md5`) or in parts of `part_size` (`md5-of-md5s-N`).
pub fn etag_of_file(path: &std::path::Path, part_size: Option<u64>) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    match part_size {
        None => {
            let mut h = Md5::new();
            hash_up_to(&mut f, &mut buf, &mut h, u64::MAX)?;
            Ok(hex::encode(h.finalize()))
        }
        Some(ps) => {
            let mut parts = Vec::new();
            loop {
                let mut h = Md5::new();
                if hash_up_to(&mut f, &mut buf, &mut h, ps)? == 0 {
                    break;
                }
                parts.push(h.finalize());
            }
            let mut all = Md5::new();
            for p in &parts {
                all.update(p);
            }
            Ok(format!("{}-{}", hex::encode(all.finalize()), parts.len()))
        }
    }
}

pub(crate) fn s3_error_code<E: aws_sdk_s3::error::ProvideErrorMetadata>(e: &aws_sdk_s3::error::SdkError<E>) -> Option<String> {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    e.code().map(str::to_string)
}

/// Words for an S3 failure, never containing credentials.
pub(crate) fn describe_s3_error<E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static>(
    e: &aws_sdk_s3::error::SdkError<E>,
) -> String {
    use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
    match e {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            format!("storage answered {status} {}: {}", e.code().unwrap_or("error"), e.message().unwrap_or(""))
        }
        SdkError::TimeoutError(_) => "the storage did not answer in time".into(),
        SdkError::DispatchFailure(d) => {
            if d.is_io() || d.is_timeout() {
                "the connection to the storage failed".into()
            } else {
                format!("the connection to the storage failed ({:?})", d.as_connector_error().map(|c| c.to_string()))
            }
        }
        SdkError::ResponseError(_) => "the storage's answer was cut off".into(),
        other => {
            let mut text = other.to_string();
            let mut src = std::error::Error::source(other);
            while let Some(s) = src {
                text = s.to_string();
                src = s.source();
            }
            text
        }
    }
}

pub(crate) fn storage_error(text: String) -> Error {
    Error::Network { host: "the storage".into(), reason: text }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(cloud: &str, endpoint: Option<&str>) -> StoreToken {
        serde_json::from_value(serde_json::json!({
            "accessKeyID": "a", "secretAccessKey": "s", "sessionToken": "t", "region": "cn-hangzhou",
            "cloudBucketName": "b", "cloudName": cloud, "storePath": "p/{fileName}", "callbackParam": "c",
            "expireTime": 1, "endpoint": endpoint,
        }))
        .unwrap()
    }

    #[test]
    fn aliyun_oss_gets_checksums_only_when_required_and_its_endpoint() {
        let oss = s3_client(&token("ALI_OSS", None), &crate::net::Proxy::system()).unwrap();
        let conf = oss.config();
        assert_eq!(conf.request_checksum_calculation(), Some(&RequestChecksumCalculation::WhenRequired));
        assert_eq!(conf.response_checksum_validation(), Some(&ResponseChecksumValidation::WhenRequired));
        assert_eq!(token("ALI_OSS", None).storage_endpoint().as_deref(), Some("https://oss-cn-hangzhou.aliyuncs.com"));

        let aws = s3_client(&token("AWS_S3", None), &crate::net::Proxy::system()).unwrap();
        assert_ne!(aws.config().request_checksum_calculation(), Some(&RequestChecksumCalculation::WhenRequired));
    }

    #[test]
    fn a_token_cannot_downgrade_to_http_or_inject_a_host() {
        assert!(check_token(&token("AWS_S3", Some("https://s3.example.com"))).is_ok());
        assert!(check_token(&token("AWS_S3", Some("http://127.0.0.1:9000"))).is_ok());
        for bad in ["http://s3.example.com", "https://user@s3.example.com", "https://s3.example.com/other?x=1", "ftp://x"] {
            assert_eq!(check_token(&token("AWS_S3", Some(bad))).unwrap_err().code(), crate::ErrorCode::BadAnswer, "{bad}");
        }
        let mut t = token("ALI_OSS", None);
        t.region = "evil.com/x#".into();
        assert_eq!(check_token(&t).unwrap_err().code(), crate::ErrorCode::BadAnswer);
    }

    #[test]
    fn a_session_prefix_drops_the_file_name_placeholder() {
        let s = StorageSession::new(token("AWS_S3", Some("http://127.0.0.1:1")), 1, &crate::net::Proxy::system()).unwrap();
        assert_eq!(s.prefix, "p");
        assert_eq!(s.key("a/b.jpg"), "p/a/b.jpg");
    }
}
