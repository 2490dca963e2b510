use std::path::PathBuf;
use std::time::Duration;

/// The demo key pair used when none is configured (the app and CLI use it in the Sandbox region
/// when no keys are saved).
pub use terradesk_core::connection::{SANDBOX_DEMO_ACCESS_KEY as DEMO_ACCESS_KEY, SANDBOX_DEMO_SECRET_KEY as DEMO_SECRET_KEY};

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Port to listen on (0: any free port).
    pub port: u16,
    /// The loopback address to listen on (127.0.0.1; another 127.x address for an emulated link
    /// between network namespaces, bench/uplink.sh).
    pub host: std::net::Ipv4Addr,
    pub access_key: String,
    pub secret_key: String,
    /// How long obtained storage credentials last.
    pub token_lifetime: Duration,
    /// How long a started job takes from start to finish.
    pub job_duration: Duration,
    /// Where uploaded objects and generated results are kept (a temporary folder when `None`).
    pub data_dir: Option<PathBuf>,
    /// Requests allowed to be a clock's distance away.
    pub max_clock_skew: Duration,
    /// Unfinished jobs an account may have before start answers 801.
    pub max_unfinished_jobs: usize,
    /// How long download URLs stay valid.
    pub download_url_lifetime: Duration,
    pub faults: Faults,
    /// Hand out credentials for another S3 server instead of the built-in one (to prove uploads
    /// against an independent implementation). Registered files are then not checked.
    pub external_storage: Option<ExternalStorage>,
    /// Add result files with hostile names (`../`, absolute paths, drive letters, collisions), as
    /// a malicious server might: clients must refuse them.
    pub malicious_outputs: bool,
    /// Add one large result file of this size, generated on the fly when downloaded (never stored).
    pub result_size: Option<u64>,
    /// Serve downloads at most this fast (bytes per second, per connection).
    pub download_rate: Option<u64>,
    /// The sandbox's clock runs this many seconds ahead of the computer's (negative: behind), as
    /// a server's would when the computer's clock is wrong: signatures are checked against it and
    /// answers are dated by it.
    pub clock_offset_secs: i64,
    /// After a start, a job's status reads "waiting for start" for this many looks, as a real
    /// service's does for a while.
    pub status_lag: u32,
    /// Listings answer at most this many rows a page, whatever is asked.
    pub page_size: Option<usize>,
    /// Behave as Aliyun OSS behind the China region: cloudName ALI_OSS, upper-case ETags, and
    /// requests that carry checksums (aws-chunked, x-amz-checksum-*) refused.
    pub oss: bool,
    /// Download addresses answer with a redirect to where the bytes are (on this host).
    pub redirect_downloads: bool,
    /// The storage refuses every credential (InvalidAccessKeyId), fresh ones too.
    pub storage_deny: bool,
    /// Downloads ignore Range and always send the whole file, as some servers do.
    pub ignore_range: bool,
}

impl SandboxConfig {
    /// Every way a real service is unkind, at once (`terradesk sandbox --realistic`): status lag,
    /// answers lost after the work was done, throttling, a captive portal now and then, small
    /// listing pages, OSS quirks, redirected downloads, and latency.
    pub fn realistic(mut self) -> Self {
        self.status_lag = 3;
        self.page_size = Some(25);
        self.oss = true;
        self.redirect_downloads = true;
        self.faults.lose_answer_rate = self.faults.lose_answer_rate.max(0.05);
        self.faults.throttle_rate = self.faults.throttle_rate.max(0.03);
        self.faults.captive_rate = self.faults.captive_rate.max(0.02);
        self.faults.include_storage = true;
        if self.faults.latency.is_zero() {
            self.faults.latency = Duration::from_millis(20);
        }
        self
    }
}

#[derive(Debug, Clone)]
pub struct ExternalStorage {
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
}

/// Injected faults, to prove the client survives them.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Share of requests (0..1) answered with a 500.
    pub error_rate: f64,
    /// Share of requests (0..1) whose connection is dropped without an answer.
    pub drop_rate: f64,
    /// Added to every answer.
    pub latency: Duration,
    /// Whether the faults also hit the S3 endpoint (they hit the API always).
    pub include_storage: bool,
    /// Share of requests (0..1) whose answer is lost after the request was processed: the work is
    /// done, the client never hears of it (API, storage when included, downloads).
    pub lose_answer_rate: f64,
    /// Share of API requests (0..1) answered 200 with an HTML page, as a captive portal does.
    pub captive_rate: f64,
    /// Share of API requests (0..1) answered 429 with Retry-After, as a rate-limiting gateway does.
    pub throttle_rate: f64,
    /// Faults only on requests whose path contains this (e.g. `/start`); latency stays on all.
    pub only: Option<String>,
    /// At most this many faults in all; then the sandbox is kind.
    pub limit: Option<u64>,
    /// The storage loses the first this many objects it stored (it acknowledged them, then they
    /// are gone): registering them is refused as "not found in storage" until they are sent again.
    pub lose_objects: u32,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            host: std::net::Ipv4Addr::LOCALHOST,
            access_key: DEMO_ACCESS_KEY.into(),
            secret_key: DEMO_SECRET_KEY.into(),
            token_lifetime: Duration::from_secs(600),
            job_duration: Duration::from_secs(20),
            data_dir: None,
            max_clock_skew: Duration::from_secs(300),
            max_unfinished_jobs: 2,
            download_url_lifetime: Duration::from_secs(3600),
            faults: Faults::default(),
            external_storage: None,
            malicious_outputs: false,
            result_size: None,
            download_rate: None,
            clock_offset_secs: 0,
            status_lag: 0,
            page_size: None,
            oss: false,
            redirect_downloads: false,
            storage_deny: false,
            ignore_range: false,
        }
    }
}
