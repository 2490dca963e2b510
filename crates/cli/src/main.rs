//! `terradesk`: TerraDesk from the terminal. Every command can print JSON (`--json`) for scripts.

mod jobs;
mod output;
mod upload;

use clap::{Parser, Subcommand};
use output::Out;
use std::io::{BufRead, IsTerminal};
use std::time::Duration;
use terradesk_core::connection::{self, Target};
use terradesk_core::{Account, Error, Region, SecretKey};

/// The default port of `terradesk sandbox`, and where the Sandbox region looks for it.
const SANDBOX_PORT: u16 = 8788;

#[derive(Parser)]
#[command(name = "terradesk", version, about = "Run DJI TerraAPI reconstructions of drone surveys.")]
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
        folder: std::path::PathBuf,
        /// The resource's name (a new resource); the folder's name by default.
        #[arg(long)]
        name: Option<String>,
        /// Upload into this existing resource.
        #[arg(long)]
        resource: Option<String>,
        /// Requests in flight at once.
        #[arg(long, default_value_t = terradesk_core::upload::UploadOptions::default().concurrency)]
        concurrency: usize,
        /// Part size for large files, in MiB.
        #[arg(long, default_value_t = 16)]
        part_size_mib: u64,
    },
    /// Folder in, Terra ZIP out: upload, process, download and export in one go.
    Run {
        /// 2d, 3d or lidar.
        #[arg(long)]
        kind: terradesk_core::jobs::JobKind,
        folder: std::path::PathBuf,
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
        out: Option<std::path::PathBuf>,
        /// Only these outputs (top-level folders or files, comma separated: map,AT,mission.json).
        #[arg(long, value_delimiter = ',')]
        outputs: Vec<String>,
    },
    /// The job history.
    Jobs,
    /// One job, with its timeline.
    Job { id: i64 },
    /// Go on with an interrupted job (after a crash, or a failed upload).
    Resume {
        id: i64,
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        #[arg(long, value_delimiter = ',')]
        outputs: Vec<String>,
    },
    /// Download a finished job's result.
    Download {
        id: i64,
        /// The folder to download into (default: in the data folder).
        #[arg(long)]
        to: Option<std::path::PathBuf>,
        #[arg(long, value_delimiter = ',')]
        outputs: Vec<String>,
    },
    /// Export a downloaded result as a ZIP that DJI Terra imports.
    Export {
        id: i64,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Stop a running job.
    Stop { id: i64 },
    /// Run a failed or stopped job again, on the same resource.
    Retry { id: i64 },
    /// Delete a job from the history (and the server's job with --remote).
    Delete {
        id: i64,
        #[arg(long)]
        remote: bool,
    },
    /// The parameters of a kind of job, with their ranges, defaults and help.
    Params { kind: terradesk_core::jobs::JobKind },
    /// Run the local TerraAPI + S3 sandbox.
    Sandbox {
        #[arg(long, default_value_t = SANDBOX_PORT)]
        port: u16,
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
        /// Keep uploads and results here (else a temporary folder).
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
    },
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
        out.error(e);
        std::process::exit(1);
    }
}

fn account() -> Account {
    Account::in_dir(&terradesk_core::paths::data_dir())
}

/// Env credentials for automation, else the keychain's for the region in use.
fn target() -> Result<Target, Error> {
    if let Some(t) = Target::from_env() {
        return t;
    }
    let account = account();
    let region = account.region()?;
    let sandbox = std::env::var("TERRADESK_SANDBOX_URL").unwrap_or_else(|_| format!("http://127.0.0.1:{SANDBOX_PORT}"));
    Target::from_account(&account, region, Some(&sandbox))
}

async fn run(command: Command, out: &Out) -> Result<(), Error> {
    match command {
        Command::Account { action } => match action.unwrap_or(AccountAction::Show) {
            AccountAction::Show => out.account(&account().view()?),
            AccountAction::Set { region, access_key } => {
                let secret = read_secret()?;
                out.account(&account().save(region, &access_key, Some(secret))?)
            }
            AccountAction::Region { region } => out.account(&account().select_region(region)?),
            AccountAction::Delete { region } => {
                let a = account();
                let region = match region {
                    Some(r) => r,
                    None => a.region()?,
                };
                out.account(&a.delete(region)?)
            }
        },
        Command::TestConnection => {
            let report = connection::test_connection(&target()?).await?;
            out.value(&report, &report.message);
        }
        Command::Api { method, path, data } => {
            let body = match data {
                Some(d) => Some(serde_json::from_str::<serde_json::Value>(&d).map_err(|e| Error::InvalidInput(format!("--data is not JSON: {e}")))?),
                None => None,
            };
            let value = target()?.client()?.raw(&method, &path, body.as_ref()).await?;
            println!("{}", serde_json::to_string_pretty(&value).unwrap());
        }
        Command::Upload { folder, name, resource, concurrency, part_size_mib } => {
            let opts = terradesk_core::upload::UploadOptions { concurrency, part_size: part_size_mib * 1024 * 1024, ..Default::default() };
            let report = upload::run(&target()?, &folder, name, resource, opts, out).await?;
            if !report.complete() {
                std::process::exit(2);
            }
        }
        Command::Run { kind, folder, params, preset, name, out: zip, outputs } => {
            jobs::run(&target()?, kind, &folder, &params, preset, name, zip, outputs, out).await?;
        }
        Command::Jobs => jobs::list(out)?,
        Command::Job { id } => jobs::show(id, out)?,
        Command::Resume { id, out: zip, outputs } => {
            let pl = jobs::pipeline(&target()?)?;
            jobs::finish(&pl, id, zip, outputs, out).await?;
        }
        Command::Download { id, to, outputs } => {
            let pl = jobs::pipeline(&target()?)?;
            let r = pl.download(id, to, outputs, &terradesk_core::jobs::pipeline::no_events()).await?;
            out.value(&r, &format!("Downloaded {} files ({}) into {}{}", r.files, upload::human_bytes(r.bytes), r.folder,
                if r.refused.is_empty() { String::new() } else { format!("; refused {} unsafe names: {}", r.refused.len(), r.refused.iter().map(|x| format!("{} ({})", x.name, x.reason)).collect::<Vec<_>>().join(", ")) }));
        }
        Command::Export { id, out: zip } => {
            let pl = jobs::pipeline(&target()?)?;
            let r = pl.export(id, &zip, &terradesk_core::jobs::pipeline::no_events())?;
            out.value(&r, &format!("Terra ZIP: {} ({} files, {})", r.path, r.entries, upload::human_bytes(r.bytes)));
        }
        Command::Stop { id } => {
            let pl = jobs::pipeline(&target()?)?;
            let j = pl.stop(id, &terradesk_core::jobs::pipeline::no_events()).await?;
            out.value(&j, &format!("Job {id} is {}.", j.state.as_str()));
        }
        Command::Retry { id } => {
            let pl = jobs::pipeline(&target()?)?;
            let j = pl.retry(id)?;
            if !out.json {
                eprintln!("Job {} retries job {id}", j.id);
            }
            jobs::finish(&pl, j.id, None, Vec::new(), out).await?;
        }
        Command::Delete { id, remote } => {
            let pl = jobs::pipeline(&target()?)?;
            pl.delete(id, remote).await?;
            out.value(&serde_json::json!({"deleted": id}), &format!("Job {id} deleted."));
        }
        Command::Params { kind } => {
            let schema = terradesk_core::jobs::schema(kind);
            let text = schema.iter().map(|s| format!("{:<30} {}{}  default {}\n    {}", s.key, serde_json::to_string(&s.ty).unwrap_or_default(), s.unit.as_deref().map(|u| format!(" [{u}]")).unwrap_or_default(), s.default, s.help_en)).collect::<Vec<_>>().join("\n");
            out.value(&schema, &text);
        }
        Command::Sandbox {
            port,
            access_key,
            secret_key,
            token_lifetime,
            job_duration,
            data_dir,
            error_rate,
            drop_rate,
            latency_ms,
            faults_on_storage,
            malicious_outputs,
        } => {
            let mut config = terradesk_sandbox::SandboxConfig {
                port,
                token_lifetime: Duration::from_secs(token_lifetime),
                job_duration: Duration::from_secs(job_duration),
                data_dir,
                faults: terradesk_sandbox::Faults {
                    error_rate,
                    drop_rate,
                    latency: Duration::from_millis(latency_ms),
                    include_storage: faults_on_storage,
                },
                malicious_outputs,
                ..Default::default()
            };
            let demo = access_key.is_none();
            if let (Some(ak), Some(sk)) = (access_key, secret_key) {
                config.access_key = ak;
                config.secret_key = sk;
            }
            let sandbox = terradesk_sandbox::Sandbox::start(config)
                .await
                .map_err(|e| Error::InvalidInput(format!("The sandbox could not listen on 127.0.0.1:{port}: {e}. Choose another --port.")))?;
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
        }
    }
    Ok(())
}

/// The SecretKey from standard input: typed at a prompt, or piped by a script.
fn read_secret() -> Result<SecretKey, Error> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("SecretKey: ");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).map_err(|e| Error::InvalidInput(format!("could not read the SecretKey: {e}")))?;
    Ok(SecretKey::new(line.trim()))
}
