//! The app's built-in sandbox, as the core's façade starts it: its state and its port kept in a
//! folder, so that sandbox jobs survive a restart of the app like real ones.

use crate::{Sandbox, SandboxConfig};
use std::path::Path;
use std::time::Duration;
use terradesk_core::desk::{LocalSandbox, SandboxLauncher};
use terradesk_core::{Error, Result};

/// Starts [`Sandbox`]es for the façade.
#[derive(Debug, Clone)]
pub struct BuiltIn {
    /// How long a sandbox job takes.
    pub job_duration: Duration,
}

impl Default for BuiltIn {
    fn default() -> Self {
        BuiltIn { job_duration: Duration::from_secs(20) }
    }
}

struct Running(Sandbox);

impl LocalSandbox for Running {
    fn url(&self) -> String {
        self.0.url().to_string()
    }
}

const PORT_FILE: &str = "port";

#[async_trait::async_trait]
impl SandboxLauncher for BuiltIn {
    async fn launch(&self, dir: &Path) -> Result<Box<dyn LocalSandbox>> {
        std::fs::create_dir_all(dir).map_err(|e| Error::storage("create the folder", dir, e))?;
        let port_file = dir.join(PORT_FILE);
        let kept: Option<u16> = std::fs::read_to_string(&port_file).ok().and_then(|s| s.trim().parse().ok());
        let config = |port| SandboxConfig { port, data_dir: Some(dir.to_path_buf()), job_duration: self.job_duration, ..Default::default() };
        let started = match kept {
            Some(p) => match Sandbox::start(config(p)).await {
                Ok(s) => Ok(s),
                Err(e) => {
                    tracing::warn!(port = p, error = %e, "the sandbox's port is taken; using another");
                    Sandbox::start(config(0)).await
                }
            },
            None => Sandbox::start(config(0)).await,
        };
        let sandbox = started.map_err(|e| Error::SandboxUnavailable { reason: e.to_string() })?;
        let port = sandbox.addr().port();
        if kept != Some(port) {
            terradesk_core::settings::write_atomically(&port_file, port.to_string().as_bytes())?;
        }
        Ok(Box::new(Running(sandbox)))
    }
}
