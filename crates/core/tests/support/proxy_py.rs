//! proxy.py (from PyPI, installed by `scripts/setup.sh test` into .venv-test): a real HTTP proxy
//! for the proxy tests, started on a free port with basic authentication, its access log in a file.
//! Shared by the core's and the CLI's tests (`#[path]`).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct ProxyServer {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ProxyServer {
    /// The proxy's access log: one line per request it forwarded or refused.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log once no line has been added for half a second.
    pub fn settled_log(&self) -> String {
        let mut last = self.log();
        let mut still = 0;
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(100));
            let now = self.log();
            still = if now == last { still + 1 } else { 0 };
            last = now;
            if still >= 5 {
                break;
            }
        }
        last
    }
}

fn proxy_py() -> PathBuf {
    if let Some(p) = std::env::var_os("TERRADESK_PROXY_PY") {
        return p.into();
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test/bin/proxy");
    assert!(venv.exists(), "proxy.py is not installed: run `scripts/setup.sh test` (it installs proxy.py into .venv-test)");
    venv
}

/// A proxy asking for `basic_auth` ("user:password"), logging into `dir`/proxy.log.
pub fn start_proxy(dir: &std::path::Path, basic_auth: &str) -> ProxyServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = dir.join("proxy.log");
    let child = Command::new(proxy_py())
        .args(["--hostname", "127.0.0.1", "--port", &port.to_string(), "--num-workers", "2", "--num-acceptors", "1", "--basic-auth", basic_auth])
        .arg("--log-file")
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return ProxyServer { child, port, log };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("proxy.py did not start");
}

