//! Pause, resume and cancel, checked by every worker between requests.

use crate::{Error, Result};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    Paused,
    Cancelled,
}

#[derive(Clone, Debug)]
pub struct UploadControl {
    tx: std::sync::Arc<watch::Sender<RunState>>,
}

impl Default for UploadControl {
    fn default() -> Self {
        UploadControl { tx: std::sync::Arc::new(watch::channel(RunState::Running).0) }
    }
}

impl UploadControl {
    pub fn pause(&self) {
        self.tx.send_if_modified(|s| {
            let change = *s == RunState::Running;
            if change {
                *s = RunState::Paused;
            }
            change
        });
    }

    pub fn resume(&self) {
        self.tx.send_if_modified(|s| {
            let change = *s == RunState::Paused;
            if change {
                *s = RunState::Running;
            }
            change
        });
    }

    pub fn cancel(&self) {
        self.tx.send_replace(RunState::Cancelled);
    }

    pub fn state(&self) -> RunState {
        *self.tx.borrow()
    }

    /// Wait while paused; `Err(Cancelled)` once cancelled.
    pub async fn checkpoint(&self) -> Result<()> {
        let mut rx = self.tx.subscribe();
        loop {
            match *rx.borrow_and_update() {
                RunState::Running => return Ok(()),
                RunState::Cancelled => return Err(Error::Cancelled),
                RunState::Paused => {}
            }
            if rx.changed().await.is_err() {
                return Err(Error::Cancelled);
            }
        }
    }
}
