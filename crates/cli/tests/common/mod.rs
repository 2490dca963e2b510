//! The `terradesk` binary and a `terradesk sandbox` process, for the CLI's tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The binary, with no credentials from the environment of the test run.
pub fn terradesk() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_terradesk"));
    c.env_remove("TERRADESK_HOST")
        .env_remove("TERRADESK_ACCESS_KEY")
        .env_remove("TERRADESK_SECRET_KEY")
        .env("NO_PROXY", "127.0.0.1");
    c
}

/// `terradesk sandbox --port 0 --json …`: the first line says where it listens.
pub struct SandboxProcess {
    child: std::process::Child,
    pub url: String,
    pub ak: String,
    pub sk: String,
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A sandbox whose jobs take a second unless `extra` says otherwise.
pub fn sandbox(extra: &[&str]) -> SandboxProcess {
    let duration: &[&str] = if extra.contains(&"--job-duration") { &[] } else { &["--job-duration", "1"] };
    let mut child = terradesk().args(["sandbox", "--port", "0", "--json"]).args(duration).args(extra).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    SandboxProcess { child, url: v["url"].as_str().unwrap().into(), ak: v["accessKey"].as_str().unwrap().into(), sk: v["secretKey"].as_str().unwrap().into() }
}

impl SandboxProcess {
    /// The binary, talking to this sandbox with `sk` as the SecretKey.
    pub fn cli_with_secret(&self, sk: &str) -> Command {
        let mut c = terradesk();
        c.env("TERRADESK_HOST", &self.url).env("TERRADESK_ACCESS_KEY", &self.ak).env("TERRADESK_SECRET_KEY", sk);
        c
    }

    /// The binary with this sandbox's keys and a data folder of its own.
    pub fn cli(&self, data: &std::path::Path) -> Command {
        let mut c = self.cli_with_secret(&self.sk);
        c.env("TERRADESK_DATA_DIR", data).env("TERRADESK_POLL_MS", "150");
        c
    }

    /// What the sandbox counts (registrations, multipart uploads, resources, jobs).
    pub fn stats(&self) -> serde_json::Value {
        let out = Command::new("curl").args(["-sf", &format!("{}/sandbox/stats", self.url)]).output().expect("curl");
        serde_json::from_slice(&out.stdout).unwrap()
    }
}
