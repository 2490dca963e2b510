//! `terradesk sandbox`: the local TerraAPI + S3 emulator, in the foreground.

use crate::output::Out;
use std::time::Duration;
use terradesk_core::units::parse_size;
use terradesk_core::Error;

#[derive(clap::Args)]
pub struct SandboxArgs {
    #[arg(long, default_value_t = crate::SANDBOX_PORT)]
    port: u16,
    /// The loopback address to listen on (another 127.x address serves an emulated link, as in
    /// bench/uplink.sh).
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::Ipv4Addr,
    #[arg(long, requires = "secret_key")]
    access_key: Option<String>,
    #[arg(long, requires = "access_key")]
    secret_key: Option<String>,
    /// How long storage tokens last, in seconds.
    #[arg(long, default_value_t = 600)]
    token_lifetime: u64,
    /// How long a job takes from start to finish, in seconds.
    #[arg(long, default_value_t = 20)]
    job_duration: u64,
    /// Keep uploads, results and the account here, across restarts (else a temporary folder).
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// Share of API requests (0..1) answered with a 500.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share of API requests (0..1) whose connection is dropped.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Latency added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Inject the faults into storage requests too.
    #[arg(long)]
    faults_on_storage: bool,
    /// Add result files with hostile names (zip-slip), to test clients.
    #[arg(long)]
    malicious_outputs: bool,
    /// Add one large result file of this size, generated when downloaded (e.g. 3GiB, 500MB).
    #[arg(long, value_parser = parse_size)]
    result_size: Option<u64>,
    /// Serve downloads no faster than this, per connection (e.g. 10MiB = 10 MiB/s).
    #[arg(long, value_parser = parse_size)]
    download_rate: Option<u64>,
    /// Run the sandbox's clock this many seconds ahead (negative: behind) of the computer's, as a
    /// server's would be when the computer's clock is wrong.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    clock_offset: i64,
    /// Every unkindness of a real service at once: status lag, lost answers, throttling, a captive
    /// portal now and then, small listing pages, OSS quirks, redirected downloads, latency.
    #[arg(long)]
    realistic: bool,
    /// After a start, a job reads "waiting for start" for this many looks.
    #[arg(long, default_value_t = 0)]
    status_lag: u32,
    /// Share of requests (0..1) whose answer is lost after the work was done.
    #[arg(long, default_value_t = 0.0)]
    lose_answers: f64,
    /// Share of API requests (0..1) answered 429 with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    throttle_rate: f64,
    /// Share of API requests (0..1) answered 200 with a captive portal's HTML page.
    #[arg(long, default_value_t = 0.0)]
    captive_rate: f64,
    /// Faults only on requests whose path contains this (e.g. /start).
    #[arg(long, value_name = "PATH")]
    faults_only: Option<String>,
    /// At most this many faults in all, then none.
    #[arg(long, value_name = "N")]
    faults_limit: Option<u64>,
    /// The storage loses the first N objects it stored (registering them is refused).
    #[arg(long, value_name = "N", default_value_t = 0)]
    lose_objects: u32,
    /// Listings answer at most this many rows a page.
    #[arg(long)]
    page_size: Option<usize>,
    /// Behave as Aliyun OSS: upper-case ETags, request checksums refused.
    #[arg(long)]
    oss: bool,
    /// Download addresses redirect to where the bytes are.
    #[arg(long)]
    redirect_downloads: bool,
    /// The storage refuses every credential (InvalidAccessKeyId).
    #[arg(long)]
    storage_deny: bool,
    /// Downloads ignore Range and send the whole file every time.
    #[arg(long)]
    ignore_range: bool,
}

pub async fn run(a: SandboxArgs, out: &Out) -> Result<(), Error> {
    let mut config = terradesk_sandbox::SandboxConfig {
        port: a.port,
        host: a.host,
        token_lifetime: Duration::from_secs(a.token_lifetime),
        job_duration: Duration::from_secs(a.job_duration),
        data_dir: a.data_dir,
        faults: terradesk_sandbox::Faults {
            error_rate: a.error_rate,
            drop_rate: a.drop_rate,
            latency: Duration::from_millis(a.latency_ms),
            include_storage: a.faults_on_storage,
            lose_answer_rate: a.lose_answers,
            captive_rate: a.captive_rate,
            throttle_rate: a.throttle_rate,
            only: a.faults_only,
            limit: a.faults_limit,
            lose_objects: a.lose_objects,
        },
        malicious_outputs: a.malicious_outputs,
        result_size: a.result_size,
        download_rate: a.download_rate,
        clock_offset_secs: a.clock_offset,
        status_lag: a.status_lag,
        page_size: a.page_size,
        oss: a.oss,
        redirect_downloads: a.redirect_downloads,
        storage_deny: a.storage_deny,
        ignore_range: a.ignore_range,
        ..Default::default()
    };
    if a.realistic {
        config = config.realistic();
    }
    let demo = a.access_key.is_none();
    if let (Some(ak), Some(sk)) = (a.access_key, a.secret_key) {
        config.access_key = ak;
        config.secret_key = sk;
    }
    let (host, port) = (a.host, a.port);
    let sandbox = terradesk_sandbox::Sandbox::start(config)
        .await
        .map_err(|e| Error::SandboxUnavailable { reason: format!("it could not listen on {host}:{port} ({e}); choose another --port") })?;
    let info = serde_json::json!({
        "url": sandbox.url(),
        "accessKey": sandbox.access_key(),
        "secretKey": if demo { serde_json::Value::from(sandbox.secret_key()) } else { serde_json::Value::Null },
    });
    if out.json {
        println!("{info}");
    } else {
        println!("TerraDesk sandbox listening on {}", sandbox.url());
        if demo {
            println!("Demo keys (no account needed):\n  AccessKey: {}\n  SecretKey: {}", sandbox.access_key(), sandbox.secret_key());
        }
        println!("Use it: TERRADESK_HOST={} TERRADESK_ACCESS_KEY=… TERRADESK_SECRET_KEY=… terradesk test-connection", sandbox.url());
        println!("Press Ctrl+C to stop.");
    }
    tokio::signal::ctrl_c().await.ok();
    sandbox.stop().await;
    Ok(())
}
