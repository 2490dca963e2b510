//! Pause, resume and cancel of a long operation (an upload, a download, an export), checked by
//! every worker between requests.

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
pub struct Control {
    tx: std::sync::Arc<watch::Sender<RunState>>,
}

impl Default for Control {
    fn default() -> Self {
        Control { tx: std::sync::Arc::new(watch::channel(RunState::Running).0) }
    }
}

impl Control {
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

    pub fn is_cancelled(&self) -> bool {
        self.state() == RunState::Cancelled
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_checkpoint_waits_while_paused_and_fails_once_cancelled() {
        let c = Control::default();
        c.checkpoint().await.unwrap();
        c.pause();
        let waiter = {
            let c = c.clone();
            tokio::spawn(async move { c.checkpoint().await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiter.is_finished());
        c.resume();
        waiter.await.unwrap().unwrap();
        c.cancel();
        assert!(matches!(c.checkpoint().await, Err(Error::Cancelled)));
    }
}
