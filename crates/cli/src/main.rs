//! `terradesk`: TerraDesk from the terminal. Every command is a thin adapter on the core's
//! [`Desk`], and can print JSON (`--json`) for scripts.

mod follow;
mod output;
mod sandbox;

use clap::{Parser, Subcommand};
use output::{human_bytes, Out};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use terradesk_core::connection::Target;
use terradesk_core::control::Control;
use terradesk_core::desk::SandboxSource;
use terradesk_core::jobs::params::{preset, JobKind, JobParameters};
use terradesk_core::progress::{Phase, Tracker};
use terradesk_core::{Desk, DeskConfig, Error, JobId, Region, SecretKey};

/// The default port of `terradesk sandbox`, and where the Sandbox region looks for it.
pub const SANDBOX_PORT: u16 = 8788;

#[derive(Parser)]
#[command(name = "terradesk", version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("TERRADESK_COMMIT"), ")"), about = "Run DJI TerraAPI reconstructions of drone surveys.")]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show, save or delete the AccessKey/SecretKey kept in the OS keychain.
    Account {
        #[command(subcommand)]
        action: Option<AccountAction>,
    },
    /// Show or set the proxy TerraDesk connects through (the app's Settings → Network).
    Proxy {
        #[command(subcommand)]
        action: Option<ProxyAction>,
    },
    /// Check the keys, the clock and the network by obtaining a storage token.
    TestConnection,
    /// Sign and send any TerraAPI call and print the answer's data, as `gh api` does.
    Api {
        /// GET, POST, DELETE …
        method: String,
        /// The path, with or without the /terra-rescon-be prefix: /v2/jobs?page=1
        path: String,
        /// The JSON body.
        #[arg(long, short = 'd')]
        data: Option<String>,
    },
    /// Upload a folder of photos or LiDAR scans into a resource, resuming an earlier upload of it.
    Upload {
        folder: PathBuf,
        /// The resource's name (a new resource); the folder's name by default.
        #[arg(long)]
        name: Option<String>,
        /// Upload into this existing resource.
        #[arg(long)]
        resource: Option<String>,
        /// Requests in flight at most for parts and files of 1 MiB or more (fewer on a thin link:
        /// each should finish within seconds).
        #[arg(long, default_value_t = terradesk_core::upload::UploadOptions::default().concurrency)]
        concurrency: usize,
        /// Keep --concurrency requests in flight whatever the link.
        #[arg(long)]
        fixed_concurrency: bool,
        /// Files under 1 MiB in flight at once, besides.
        #[arg(long, default_value_t = terradesk_core::upload::UploadOptions::default().small_file_concurrency)]
        small_concurrency: usize,
        /// Send no faster than this, per second (2MiB, 500KiB, 20Mbit), to leave the link to others.
        #[arg(long, value_parser = terradesk_core::units::parse_rate)]
        limit_rate: Option<u64>,
        /// Part size for large files, in MiB.
        #[arg(long, default_value_t = 16)]
        part_size_mib: u64,
    },
    /// Folder in, Terra ZIP out: upload, process, download and export in one go.
    Run {
        /// 2d, 3d or lidar.
        #[arg(long)]
        kind: JobKind,
        folder: PathBuf,
        /// A parameter, as key=value (repeatable); see `terradesk params KIND`.
        #[arg(long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
        /// Start from a preset (e.g. 2d-farmland-fast, 3d-oblique-city, lidar-dem).
        #[arg(long)]
        preset: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// Where to write the Terra ZIP; without it the job stops after processing.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only these outputs (top-level folders or files, comma separated: map,AT,mission.json).
        #[arg(long, value_delimiter = ',')]
        outputs: Vec<String>,
        /// Upload only photos and LiDAR files, not the folder's other files (notes, spreadsheets,
        /// files named like photos that are not images).
        #[arg(long)]
        leave_out_others: bool,
        #[command(flatten)]
        leave: LeaveOut,
        /// Start even when the doctor finds problems that would make the job fail.
        #[arg(long)]
        force: bool,
    },
    /// The dataset doctor: each photo's position and camera, and what in the folder would make a
    /// job fail or come back poor (read from the photos' headers only), before any upload.
    Doctor {
        folder: PathBuf,
        /// The job it is for: 2d, 3d or lidar (the kind the photos suit when left out).
        #[arg(long)]
        kind: Option<JobKind>,
        /// Examine the folder without its other files (as `run --leave-out-others` uploads it).
        #[arg(long)]
        leave_out_others: bool,
        #[command(flatten)]
        leave: LeaveOut,
    },
    /// The job history.
    Jobs,
    /// One job, with its timeline.
    Job { id: JobId },
    /// Go on with an interrupted job (after a crash, or a failed upload).
    Resume {
        id: JobId,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, value_delimiter = ',')]
        outputs: Vec<String>,
    },
    /// Download a finished job's result (Ctrl-C pauses; run it again to go on).
    Download {
        id: JobId,
        /// The folder to download into (default: in the data folder).
        #[arg(long)]
        to: Option<PathBuf>,
        #[arg(long, value_delimiter = ',')]
        outputs: Vec<String>,
    },
    /// Export a downloaded result as a ZIP that DJI Terra imports.
    Export {
        id: JobId,
        #[arg(long)]
        out: PathBuf,
    },
    /// Stop a running job.
    Stop { id: JobId },
    /// Run a failed or stopped job again, on the same resource.
    Retry { id: JobId },
    /// Delete a job from the history (and the server's job with --remote).
    Delete {
        id: JobId,
        #[arg(long)]
        remote: bool,
    },
    /// The parameters of a kind of job, with their ranges, defaults and help.
    Params { kind: JobKind },
    /// Run the local TerraAPI + S3 sandbox.
    Sandbox(sandbox::SandboxArgs),
}

/// Files to leave out of a job (nothing moves on disk).
#[derive(clap::Args, Default)]
struct LeaveOut {
    /// A file to leave out, by its name in the folder (`DJI_0042.JPG`, `flight2/DJI_0001.JPG`);
    /// repeat for more.
    #[arg(long = "leave-out", value_name = "NAME")]
    names: Vec<String>,
    /// A file listing the files to leave out, one name per line (`-`: standard input).
    #[arg(long = "leave-out-from", value_name = "FILE")]
    from: Option<PathBuf>,
}

impl LeaveOut {
    fn names(&self) -> Result<Vec<String>, Error> {
        let mut names = self.names.clone();
        if let Some(path) = &self.from {
            let text = if path.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).map_err(|e| Error::storage("read the list of files to leave out", path, e))?
            } else {
                std::fs::read_to_string(path).map_err(|e| Error::storage("read the list of files to leave out", path, e))?
            };
            names.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from));
        }
        Ok(names)
    }
}

#[derive(Subcommand)]
enum AccountAction {
    /// The region in use and its AccessKey.
    Show,
    /// Save a key pair for a region and use that region. The SecretKey is read from standard input.
    Set {
        #[arg(long)]
        region: Region,
        #[arg(long)]
        access_key: String,
    },
    /// Use a region.
    Region { region: Region },
    /// Delete a region's key pair from the keychain.
    Delete {
        #[arg(long)]
        region: Option<Region>,
    },
}

#[derive(Subcommand)]
enum ProxyAction {
    /// The proxy in use.
    Show,
    /// Connect through this proxy (http://host:port). With --user, the password is read from
    /// standard input and kept in the keychain.
    Set {
        url: String,
        #[arg(long)]
        user: Option<String>,
        /// Hosts reached directly, comma-separated (intranet.example.com, .corp, 10.0.0.0/8).
        #[arg(long, default_value = "")]
        no_proxy: String,
    },
    /// Follow the system's proxy settings (HTTPS_PROXY, NO_PROXY …): the default.
    System,
    /// Connect directly, whatever the system says.
    None,
}

fn main() {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("TERRADESK_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let out = Out { json: cli.json };
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let result = rt.block_on(run(cli.command, &out));
    if let Err(e) = result {
        let code = if matches!(e, Error::Cancelled) { 130 } else { 1 };
        out.error(e);
        std::process::exit(code);
    }
}

/// The façade over the data folder, with env credentials for automation when set.
async fn desk() -> Result<Desk, Error> {
    let mut config = DeskConfig::new(terradesk_core::paths::data_dir());
    if let Some(t) = Target::from_env() {
        // The keys from the environment, the proxy from Settings.
        config.target_override = Some(Target { proxy: config.account.proxy()?, ..t? });
    }
    let sandbox = std::env::var("TERRADESK_SANDBOX_URL").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| format!("http://127.0.0.1:{SANDBOX_PORT}"));
    config.sandbox = SandboxSource::External(sandbox);
    // Scripts and tests against the sandbox set a faster pace.
    if let Some(ms) = std::env::var("TERRADESK_POLL_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        let d = std::time::Duration::from_millis(ms);
        config.options = config.options.brisk(d);
        config.sandbox_options = config.sandbox_options.brisk(d);
    }
    Desk::open(config).await
}

async fn run(command: Command, out: &Out) -> Result<(), Error> {
    match command {
        Command::Sandbox(args) => sandbox::run(args, out).await,
        Command::Params { kind } => {
            let schema = terradesk_core::jobs::schema(kind);
            let text = schema
                .iter()
                .map(|s| format!("{:<30} {}{}  default {}\n    {}", s.key, serde_json::to_string(&s.ty).unwrap_or_default(), s.unit.as_deref().map(|u| format!(" [{u}]")).unwrap_or_default(), s.default, s.help_en))
                .collect::<Vec<_>>()
                .join("\n");
            out.value(&schema, &text);
            Ok(())
        }
        command => {
            let desk = desk().await?;
            with_desk(&desk, command, out).await
        }
    }
}

async fn with_desk(desk: &Desk, command: Command, out: &Out) -> Result<(), Error> {
    match command {
        Command::Account { action } => match action.unwrap_or(AccountAction::Show) {
            AccountAction::Show => out.account(&desk.account().await?),
            AccountAction::Set { region, access_key } => out.account(&desk.save_account(region, access_key, Some(read_secret()?)).await?),
            AccountAction::Region { region } => out.account(&desk.select_region(region).await?),
            AccountAction::Delete { region } => {
                let region = match region {
                    Some(r) => r,
                    None => desk.account().await?.region,
                };
                out.account(&desk.delete_account(region).await?)
            }
        },
        Command::Proxy { action } => {
            use terradesk_core::net::{ProxyMode, ProxySettings};
            let view = match action.unwrap_or(ProxyAction::Show) {
                ProxyAction::Show => desk.proxy().await?,
                ProxyAction::Set { url, user, no_proxy } => {
                    let password = if user.is_some() { Some(read_password("Proxy password: ")?) } else { Some(SecretKey::new("")) };
                    let settings = ProxySettings { mode: ProxyMode::Manual, url, username: user.unwrap_or_default(), no_proxy };
                    desk.save_proxy(settings, password).await?
                }
                ProxyAction::System => desk.save_proxy(ProxySettings { mode: ProxyMode::System, ..desk.proxy().await?.settings }, None).await?,
                ProxyAction::None => desk.save_proxy(ProxySettings { mode: ProxyMode::Direct, ..desk.proxy().await?.settings }, None).await?,
            };
            let s = &view.settings;
            let text = match s.mode {
                ProxyMode::System if view.system_proxy.is_empty() => "Proxy: the system's (none set: connecting directly)".to_string(),
                ProxyMode::System => format!("Proxy: the system's ({})", view.system_proxy),
                ProxyMode::Direct => "Proxy: none (connecting directly)".to_string(),
                ProxyMode::Manual => format!(
                    "Proxy: {}{}{}",
                    s.url,
                    if s.username.is_empty() { String::new() } else { format!(" as {} (password {})", s.username, if view.password_stored { "in the keychain" } else { "not stored" }) },
                    if s.no_proxy.is_empty() { String::new() } else { format!(", not for {}", s.no_proxy) }
                ),
            };
            out.value(&view, &text);
        }
        Command::TestConnection => {
            let report = desk.test_connection(desk.region().await?, None).await?;
            out.value(&report, &report.message);
        }
        Command::Api { method, path, data } => {
            let body = match data {
                Some(d) => Some(serde_json::from_str::<serde_json::Value>(&d).map_err(|e| Error::usage(format!("--data is not JSON: {e}")))?),
                None => None,
            };
            let value = desk.api_raw(&method, &path, body.as_ref()).await?;
            println!("{}", serde_json::to_string_pretty(&value).unwrap());
        }
        Command::Upload { folder, name, resource, concurrency, fixed_concurrency, small_concurrency, limit_rate, part_size_mib } => {
            let limit = limit_rate.filter(|r| *r > 0).map(terradesk_core::throttle::RateLimit::new);
            let opts = terradesk_core::upload::UploadOptions { concurrency, adaptive: !fixed_concurrency, small_file_concurrency: small_concurrency, part_size: part_size_mib * 1024 * 1024, limit, ..Default::default() };
            let tracker = Arc::new(Tracker::new(Phase::Upload, 0, 0));
            let bar = follow::Bar::new(out);
            let ticker = bar.follow_tracker(tracker.clone());
            let result = desk.upload_folder(&folder, name, resource, opts, Control::default(), tracker).await;
            ticker.abort();
            bar.clear();
            let report = result?;
            out.upload_report(&report);
            if !report.complete() {
                std::process::exit(2);
            }
        }
        Command::Run { kind, folder, params, preset: preset_id, name, out: zip, outputs, leave_out_others, leave, force } => {
            let params = parameters(kind, &params, preset_id)?;
            let opts = terradesk_core::jobs::StartOptions { leave_out_others, left_out: leave.names()? };
            let report = desk.doctor(&folder, Some(kind), &opts).await?;
            if !out.json {
                for f in report.findings.iter().filter(|f| f.severity != terradesk_core::doctor::Severity::Info) {
                    eprintln!("{}: {}", severity_word(f.severity), f.message);
                }
            }
            let errors: Vec<&str> = report.findings.iter().filter(|f| f.severity == terradesk_core::doctor::Severity::Error).map(|f| f.message.as_str()).collect();
            if !errors.is_empty() && !force {
                return Err(Error::DatasetProblems { summary: errors.join(" ") });
            }
            if !out.json {
                if let Ok(s) = desk.scan(&folder).await {
                    follow::say_others(&s, leave_out_others);
                }
            }
            if report.left_out_files > 0 && !out.json {
                eprintln!("Leaving out {} file(s) ({}); uploading {} ({}).", report.left_out_files, human_bytes(report.left_out_bytes), report.upload_files, human_bytes(report.upload_bytes));
            }
            let view = desk.start_job_with(name.as_deref().unwrap_or(""), &folder, &params, &opts).await?;
            if !out.json {
                eprintln!("Job {} \"{}\" ({}) from {}", view.job.id, view.job.name, kind.label(), view.job.dataset);
            }
            follow::finish(desk, view.job.id, zip, outputs, out).await?;
        }
        Command::Doctor { folder, kind, leave_out_others, leave } => {
            let opts = terradesk_core::jobs::StartOptions { leave_out_others, left_out: leave.names()? };
            let r = desk.doctor(&folder, kind, &opts).await?;
            out.value(&r, &doctor_text(&r));
            if r.worst() == Some(terradesk_core::doctor::Severity::Error) {
                std::process::exit(3);
            }
        }
        Command::Jobs => out.jobs(&desk.list()?),
        Command::Job { id } => out.detail(&desk.detail(id)?),
        Command::Resume { id, out: zip, outputs } => {
            match desk.continue_job(id).await {
                // Already past the server: go on to the download, if asked.
                Ok(_) | Err(Error::JobWrongState { .. }) => {}
                Err(e) => return Err(e),
            }
            follow::finish(desk, id, zip, outputs, out).await?;
        }
        Command::Download { id, to, outputs } => {
            let r = follow::download(desk, id, outputs, to, out).await?;
            out.download_report(&r);
        }
        Command::Export { id, out: zip } => {
            let r = follow::export(desk, id, zip, out).await?;
            out.value(&r, &format!("Terra ZIP: {} ({} files, {})", r.path, r.entries, human_bytes(r.bytes)));
        }
        Command::Stop { id } => {
            let v = desk.stop(id).await?;
            out.value(&v.job, &format!("Job {id} is {}.", v.job.state.as_str()));
        }
        Command::Retry { id } => {
            let v = desk.retry(id).await?;
            if !out.json {
                eprintln!("Job {} retries job {id}", v.job.id);
            }
            follow::finish(desk, v.job.id, None, Vec::new(), out).await?;
        }
        Command::Delete { id, remote } => {
            desk.delete(id, remote).await?;
            out.value(&serde_json::json!({"deleted": id}), &format!("Job {id} deleted."));
        }
        Command::Params { .. } | Command::Sandbox(_) => unreachable!("handled without a desk"),
    }
    Ok(())
}

/// The parameters of `terradesk run`: a preset, then each `--param key=value`, validated.
fn parameters(kind: JobKind, params: &[String], preset_id: Option<String>) -> Result<JobParameters, Error> {
    let mut p = JobParameters::new(kind);
    if let Some(id) = preset_id {
        let pr = preset(&id)?;
        if pr.kind != kind {
            return Err(Error::PresetKindMismatch { id, preset_kind: pr.kind, kind });
        }
        p.values = pr.values;
    }
    for kv in params {
        let (k, v) = kv.split_once('=').ok_or_else(|| Error::usage(format!("--param takes key=value, not \"{kv}\"")))?;
        p.set_text(k.trim(), v)?;
    }
    if let Err(errs) = p.validate() {
        return Err(Error::ParamsInvalid { summary: errs.iter().map(|e| format!("{}: {}", e.key, e.message)).collect::<Vec<_>>().join("; ") });
    }
    Ok(p)
}

/// The SecretKey from standard input: typed at a prompt (not echoed), or piped by a script.
fn severity_word(s: terradesk_core::doctor::Severity) -> &'static str {
    match s {
        terradesk_core::doctor::Severity::Error => "error",
        terradesk_core::doctor::Severity::Warning => "warning",
        terradesk_core::doctor::Severity::Info => "note",
    }
}

/// The doctor's report for a terminal: the survey in a line, then each finding and its first files.
fn doctor_text(r: &terradesk_core::doctor::DoctorReport) -> String {
    let placed = r.photos.iter().filter(|p| p.has_position()).count();
    let mut t = format!(
        "{} photos ({} placed), camera {}, {} flight(s), {:.0} megapixels{}{}",
        r.photos.len(),
        placed,
        if r.cameras.is_empty() { "unknown".to_string() } else { r.cameras.join(", ") },
        r.flights,
        r.megapixels,
        r.suggested_kind.map(|k| format!("; suits a {}", k.label())).unwrap_or_default(),
        r.upload_seconds.map(|s| format!("; upload about {} at the last measured speed", follow::human_secs(s))).unwrap_or_default(),
    );
    if r.findings.is_empty() {
        t.push_str("\nNo problems found.");
    }
    for f in &r.findings {
        t.push_str(&format!("\n{}: {}", severity_word(f.severity), f.message));
        for name in f.files.iter().take(5) {
            t.push_str(&format!("\n    {name}"));
        }
        if f.count as usize > 5 {
            t.push_str(&format!("\n    … and {} more", f.count - 5));
        }
        for (k, v) in f.params.iter().filter(|_| f.code == terradesk_core::doctor::FindingCode::LidarIncomplete) {
            t.push_str(&format!("\n    {k}: lacks {v}"));
        }
    }
    t
}

fn read_secret() -> Result<SecretKey, Error> {
    read_password("SecretKey: ")
}

/// A secret from the terminal (not echoed) or the first line of standard input.
fn read_password(prompt: &str) -> Result<SecretKey, Error> {
    let what = prompt.trim_end_matches([':', ' ']);
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return rpassword::prompt_password(prompt).map(|s| SecretKey::new(s.trim())).map_err(|e| Error::usage(format!("could not read the {what}: {e}")));
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).map_err(|e| Error::usage(format!("could not read the {what}: {e}")))?;
    Ok(SecretKey::new(line.trim()))
}
