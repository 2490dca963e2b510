//! The Sandbox region's server: none, one running elsewhere, or the built-in one that the façade
//! starts the first time it is needed and keeps for the life of the app. The sandbox crate
//! implements [`SandboxLauncher`] (the core cannot depend on it: it depends on the core).

use crate::Result;
use std::path::Path;
use std::sync::Arc;

/// A running local sandbox.
pub trait LocalSandbox: Send + Sync + 'static {
    /// Its base URL (API and storage): `http://127.0.0.1:PORT`.
    fn url(&self) -> String;
}

#[async_trait::async_trait]
pub trait SandboxLauncher: Send + Sync + 'static {
    /// Start a sandbox that keeps its state (and its port, when it is free) in `dir`, so that
    /// sandbox jobs survive a restart like real ones.
    async fn launch(&self, dir: &Path) -> Result<Box<dyn LocalSandbox>>;
}

#[derive(Clone, Default)]
pub enum SandboxSource {
    /// No Sandbox region.
    #[default]
    None,
    /// A sandbox running elsewhere (`terradesk sandbox`, `TERRADESK_SANDBOX_URL`).
    External(String),
    /// The built-in one.
    BuiltIn(Arc<dyn SandboxLauncher>),
}
