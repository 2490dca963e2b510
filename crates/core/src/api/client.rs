//! A typed async client for every TerraAPI endpoint (terra-api.md §3).

use super::errors::classify_response;
use super::types::*;
use crate::credentials::Credentials;
use crate::retry::RetryPolicy;
use crate::{signing, Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// Every path starts with this.
pub const API_PREFIX: &str = "/terra-rescon-be";

pub struct ClientBuilder {
    host: String,
    credentials: Option<Credentials>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    proxy: crate::net::Proxy,
    clock_offset_secs: i64,
}

impl ClientBuilder {
    /// Sign as if the clock were this many seconds ahead (negative: behind). For tests of what a
    /// wrong clock does.
    pub fn clock_offset_secs(mut self, secs: i64) -> Self {
        self.clock_offset_secs = secs;
        self
    }

    pub fn credentials(mut self, c: Credentials) -> Self {
        self.credentials = Some(c);
        self
    }

    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    pub fn retry(mut self, r: RetryPolicy) -> Self {
        self.retry = r;
        self
    }

    /// Whether to honour the system's proxy and `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` (on by
    /// default); off: connect directly.
    pub fn env_proxy(mut self, on: bool) -> Self {
        self.proxy = if on { crate::net::Proxy::system() } else { crate::net::Proxy::direct() };
        self
    }

    /// The proxy to connect through.
    pub fn proxy(mut self, proxy: crate::net::Proxy) -> Self {
        self.proxy = proxy;
        self
    }

    pub fn build(self) -> Result<Client> {
        let credentials = self.credentials.ok_or_else(|| Error::internal("a client needs credentials"))?;
        let host = self.host.trim().trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&host)
            .map_err(|_| Error::InvalidAddress { value: host.clone() })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::InvalidAddress { value: host.clone() });
        }
        // Redirects are not followed: a signed call answered elsewhere is not the service's answer.
        let mut http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(concat!("TerraDesk/", env!("CARGO_PKG_VERSION")));
        http = self.proxy.reqwest(http)?;
        let http = http.build().map_err(|e| Error::Network { host: host.clone(), reason: e.to_string() })?;
        Ok(Client { http, host, credentials, retry: self.retry, clock_offset_secs: self.clock_offset_secs, proxy: self.proxy })
    }
}

/// Whether a call may be sent again after the request may have reached the server.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Idempotence {
    /// Safe to repeat (reads, deletes, obtaining a token).
    Safe,
    /// Creates something: only retried when the connection failed before the request was sent.
    Create,
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    host: String,
    credentials: Credentials,
    retry: RetryPolicy,
    clock_offset_secs: i64,
    proxy: crate::net::Proxy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("host", &self.host).field("access_key", &self.credentials.access_key).finish()
    }
}

impl Client {
    pub fn builder(host: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            host: host.into(),
            credentials: None,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(15),
            retry: RetryPolicy::default(),
            proxy: crate::net::Proxy::system(),
            clock_offset_secs: 0,
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy this client goes through (the storage and downloads use it too).
    pub fn proxy(&self) -> &crate::net::Proxy {
        &self.proxy
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Send any signed call and return the envelope's `data` (for `terradesk api`).
    pub async fn raw(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> Result<serde_json::Value> {
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| Error::usage(format!("\"{method}\" is not an HTTP method")))?;
        let path = if path.starts_with(API_PREFIX) { path.to_string() } else { format!("{API_PREFIX}{}", ensure_slash(path)) };
        let body = body.map(|b| serde_json::to_vec(b).expect("JSON serialises"));
        let idem = if method == reqwest::Method::GET || method == reqwest::Method::DELETE { Idempotence::Safe } else { Idempotence::Create };
        self.send(method, &path, body, idem, "The object").await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
        idem: Idempotence,
        what: &str,
    ) -> Result<T> {
        let data = self.send(method, &format!("{API_PREFIX}{path}"), body, idem, what).await?;
        serde_json::from_value(data).map_err(|e| Error::BadAnswer { what: path.to_string(), detail: e.to_string() })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
        idem: Idempotence,
        what: &str,
    ) -> Result<serde_json::Value> {
        let body = body.unwrap_or_default();
        // Sign the path exactly as it will be sent: the URL parser may normalise what was given.
        let url = url::Url::parse(&format!("{}{}", self.host, path_and_query)).map_err(|_| Error::usage(format!("\"{path_and_query}\" is not a path")))?;
        let sent_path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let mut attempt = 0;
        loop {
            // Sign each attempt afresh: the Date must be current.
            let h = signing::sign(
                method.as_str(),
                &sent_path,
                &body,
                &self.credentials.access_key,
                &self.credentials.secret_key,
                self.now(),
            );
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .header("Date", &h.date)
                .header("Digest", &h.digest)
                .header("Authorization", &h.authorization)
                .header("Content-Type", "application/json;charset=UTF-8")
                .header("Accept", "application/json");
            if !body.is_empty() {
                req = req.body(body.clone());
            }
            let started = std::time::Instant::now();
            let err: Error = match req.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let date = resp.headers().get("date").and_then(|v| v.to_str().ok()).map(str::to_string);
                    let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
                    match resp.bytes().await {
                        Ok(bytes) => {
                            tracing::debug!(%method, path = path_and_query, status, ms = started.elapsed().as_millis() as u64, "TerraAPI call");
                            let r = match classify_response(status, date.as_deref(), self.now(), &bytes, what) {
                                Err(Error::RateLimited { .. }) => Err(Error::RateLimited { retry_after_secs: Some(retry_after.unwrap_or(1)) }),
                                r => r,
                            };
                            // Throttled: the request was not served, whatever it was. A server
                            // error or an answer that is not the service's (a captive portal): the
                            // request may have been served, so only what is safe to repeat is.
                            let retryable = match &r {
                                Err(Error::RateLimited { .. }) => true,
                                Err(Error::Server { .. } | Error::BadAnswer { .. }) => idem == Idempotence::Safe,
                                _ => false,
                            };
                            match r {
                                Err(Error::RateLimited { retry_after_secs: Some(s) }) if attempt + 1 < self.retry.attempts => {
                                    let wait = Duration::from_secs(s.min(30));
                                    tracing::info!(%method, path = path_and_query, ?wait, "throttled by the server; waiting as it asks");
                                    tokio::time::sleep(wait).await;
                                    Error::RateLimited { retry_after_secs: Some(s) }
                                }
                                Err(e) if retryable && attempt + 1 < self.retry.attempts => e,
                                r => return r,
                            }
                        }
                        Err(e) => {
                            let err = self.network_error(&e);
                            if idem == Idempotence::Safe && attempt + 1 < self.retry.attempts {
                                err
                            } else {
                                return Err(err);
                            }
                        }
                    }
                }
                Err(e) => {
                    let err = self.network_error(&e);
                    // A create is only sent again when it never left this machine.
                    let may_retry = idem == Idempotence::Safe || e.is_connect();
                    if may_retry && attempt + 1 < self.retry.attempts {
                        err
                    } else {
                        return Err(err);
                    }
                }
            };
            let delay = self.retry.delay(attempt);
            tracing::warn!(%method, path = path_and_query, attempt = attempt + 1, error = %err, ?delay, "TerraAPI call failed; retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    fn now(&self) -> SystemTime {
        let now = SystemTime::now();
        if self.clock_offset_secs >= 0 {
            now + Duration::from_secs(self.clock_offset_secs as u64)
        } else {
            now - Duration::from_secs(self.clock_offset_secs.unsigned_abs())
        }
    }

    fn network_error(&self, e: &reqwest::Error) -> Error {
        if e.is_timeout() {
            return Error::Timeout { host: self.host.clone() };
        }
        let mut message = if e.is_connect() {
            "the connection could not be made".to_string()
        } else {
            "the connection failed".to_string()
        };
        // The innermost cause says the most (DNS, TLS, refused …); it never holds a secret.
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
        let mut last = None;
        while let Some(s) = source {
            last = Some(s.to_string());
            source = s.source();
        }
        if let Some(l) = last {
            message = format!("{message} ({l})");
        }
        Error::Network { host: self.host.clone(), reason: message }
    }

    fn json<B: Serialize>(body: &B) -> Option<Vec<u8>> {
        Some(serde_json::to_vec(body).expect("request bodies serialise"))
    }

    // ---- store ----

    /// `POST /v2/store/obtain_token`: temporary storage credentials.
    pub async fn obtain_token(&self) -> Result<StoreToken> {
        self.call(reqwest::Method::POST, "/v2/store/obtain_token", None, Idempotence::Safe, "The token").await
    }

    /// `POST /v2/store/upload_callback`: register uploaded files to a resource.
    pub async fn upload_callback(&self, resource_uuid: &str, callback_param: &str, files: &[CallbackFile]) -> Result<Vec<FileInfo>> {
        let body = serde_json::json!({ "resourceUUID": resource_uuid, "callbackParam": callback_param, "files": files });
        // Not repeated blindly: a registration whose answer was lost may have been made. The
        // registrar asks the server what it has before sending again.
        let v: serde_json::Value = self
            .call(reqwest::Method::POST, "/v2/store/upload_callback", Self::json(&body), Idempotence::Create, "The resource")
            .await?;
        Ok(serde_json::from_value(v).unwrap_or_default())
    }

    // ---- resources ----

    pub async fn create_resource(&self, name: &str, kind: &str) -> Result<Resource> {
        let body = serde_json::json!({ "name": name, "type": kind });
        self.call(reqwest::Method::POST, "/v2/resources", Self::json(&body), Idempotence::Create, "The resource").await
    }

    pub async fn get_resource(&self, uuid: &str) -> Result<ResourceDetail> {
        self.call(reqwest::Method::GET, &format!("/v2/resources/{}", seg(uuid)), None, Idempotence::Safe, &format!("Resource {uuid}")).await
    }

    pub async fn list_resources(&self, query: &ListQuery) -> Result<Page<Resource>> {
        self.call(reqwest::Method::GET, &format!("/v2/resources{}", query.to_query_string()), None, Idempotence::Safe, "The resource list").await
    }

    /// `delete_files`: also delete the files no other resource holds (`deleteMode=1`).
    pub async fn delete_resource(&self, uuid: &str, delete_files: bool) -> Result<()> {
        let path = format!("/v2/resources/{}?deleteMode={}", seg(uuid), delete_files as u8);
        self.call::<serde_json::Value>(reqwest::Method::DELETE, &path, None, Idempotence::Safe, &format!("Resource {uuid}")).await?;
        Ok(())
    }

    // ---- jobs ----

    pub async fn create_job(&self, name: &str) -> Result<Job> {
        let body = serde_json::json!({ "name": name });
        self.call(reqwest::Method::POST, "/v2/jobs", Self::json(&body), Idempotence::Create, "The job").await
    }

    pub async fn start_job(&self, uuid: &str, start: &StartJob) -> Result<()> {
        self.call::<serde_json::Value>(reqwest::Method::POST, &format!("/v2/jobs/{}/start", seg(uuid)), Self::json(start), Idempotence::Create, &format!("Job {uuid}"))
            .await?;
        Ok(())
    }

    pub async fn get_job(&self, uuid: &str) -> Result<Job> {
        self.call(reqwest::Method::GET, &format!("/v2/jobs/{}", seg(uuid)), None, Idempotence::Safe, &format!("Job {uuid}")).await
    }

    pub async fn list_jobs(&self, query: &ListQuery) -> Result<Page<Job>> {
        self.call(reqwest::Method::GET, &format!("/v2/jobs{}", query.to_query_string()), None, Idempotence::Safe, "The job list").await
    }

    pub async fn stop_job(&self, uuid: &str) -> Result<()> {
        self.call::<serde_json::Value>(reqwest::Method::POST, &format!("/v2/jobs/{}/stop", seg(uuid)), None, Idempotence::Safe, &format!("Job {uuid}")).await?;
        Ok(())
    }

    pub async fn delete_job(&self, uuid: &str) -> Result<()> {
        self.call::<serde_json::Value>(reqwest::Method::DELETE, &format!("/v2/jobs/{}", seg(uuid)), None, Idempotence::Safe, &format!("Job {uuid}")).await?;
        Ok(())
    }

    // ---- files ----

    pub async fn list_files(&self, query: &ListQuery) -> Result<Page<FileInfo>> {
        self.call(reqwest::Method::GET, &format!("/v2/files{}", query.to_query_string()), None, Idempotence::Safe, "The file list").await
    }

    /// Every file of a resource, through all pages, with download URLs. Neither the page size the
    /// server reports (some echo the one asked for and send fewer) nor its "more" is trusted:
    /// pages are asked for until one brings nothing new or holds fewer than the first did, and
    /// never more than the server's own total allows, so a list that never ends is cut.
    pub async fn all_files_of(&self, resource_uuid: &str) -> Result<Vec<FileInfo>> {
        let mut out = Vec::new();
        self.each_file_of(resource_uuid, true, |f| out.push(f)).await?;
        Ok(out)
    }

    /// Every file of a resource, page by page, handed to `each` and not kept (with download
    /// addresses when `need_url`): a check of 100,000 files holds one page, not the list.
    pub async fn each_file_of(&self, resource_uuid: &str, need_url: bool, mut each: impl FnMut(FileInfo) + Send) -> Result<()> {
        /// A million files at most, whatever the server says.
        const MAX_PAGES: i64 = 10_000;
        let mut count = 0i64;
        // Seen uuids: a server whose pages overlap must not make one file two.
        let mut seen = std::collections::HashSet::new();
        let mut page = 1;
        let mut bound: Option<(i64, usize)> = None;
        loop {
            let q = ListQuery::page(page, 100).with("resourceUuid", resource_uuid).with("needURL", if need_url { "true" } else { "false" });
            let p = self.list_files(&q).await?;
            let len = p.list.len();
            let (last, first_len) = *bound.get_or_insert_with(|| {
                let per = len.max(1) as i64;
                (((p.total.max(0) + per - 1) / per + 1).min(MAX_PAGES), len)
            });
            let before = count;
            for f in p.list {
                if seen.insert(f.uuid.clone()) {
                    count += 1;
                    each(f);
                }
            }
            let ended = len == 0 || count == before || len < first_len || count >= p.total || i64::from(page) >= last;
            if ended {
                return Ok(());
            }
            page += 1;
        }
    }

    pub async fn get_file(&self, uuid: &str) -> Result<FileInfo> {
        self.call(reqwest::Method::GET, &format!("/v2/files/{}", seg(uuid)), None, Idempotence::Safe, &format!("File {uuid}")).await
    }
}

fn ensure_slash(p: &str) -> String {
    if p.starts_with('/') { p.to_string() } else { format!("/{p}") }
}

/// A path segment from an id: ids are uuids, but never let one change the path.
fn seg(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}
