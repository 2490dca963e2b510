//! Long operations running in the background: at most one task per job (the pipeline, a
//! download or an export), each with a handle to pause, resume, cancel and wait for it, and its
//! progress readable at any time.

use super::actions::{TaskInfo, TaskKind};
use super::store::{JobId, JobRecord};
use crate::control::{Control, RunState};
use crate::progress::{Progress, Tracker};
use crate::results::{DownloadReport, ExportReport};
use crate::{Error, Result};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// What a task ended with.
#[derive(Debug, Clone)]
pub enum TaskOutput {
    Job(JobRecord),
    Download(DownloadReport),
    Export(ExportReport),
}

pub type Outcome = Result<TaskOutput>;

struct Entry {
    kind: TaskKind,
    control: Control,
    tracker: Arc<Tracker>,
    done: watch::Receiver<Option<Outcome>>,
}

#[derive(Clone, Default)]
pub struct Runner {
    tasks: Arc<Mutex<HashMap<JobId, Entry>>>,
    /// The last task that ended for each job: a waiter who comes just after the end still gets
    /// its outcome.
    ended: Arc<Mutex<HashMap<JobId, TaskHandle>>>,
}

/// A running (or just ended) task.
#[derive(Clone)]
pub struct TaskHandle {
    pub id: JobId,
    pub kind: TaskKind,
    control: Control,
    done: watch::Receiver<Option<Outcome>>,
}

impl TaskHandle {
    /// Wait for the task to end.
    pub async fn wait(&mut self) -> Outcome {
        loop {
            if let Some(o) = self.done.borrow_and_update().clone() {
                return o;
            }
            if self.done.changed().await.is_err() {
                return self.done.borrow().clone().unwrap_or(Err(Error::Cancelled));
            }
        }
    }

    pub fn cancel(&self) {
        self.control.cancel();
    }
}

impl Runner {
    /// Run `task` for job `id`, unless one already runs for it. `on_end` is called with the
    /// outcome once the job is free again, before waiters see it.
    pub fn spawn<F>(&self, id: JobId, kind: TaskKind, control: Control, tracker: Arc<Tracker>, task: F, on_end: impl FnOnce(JobId, &Outcome) + Send + 'static) -> Result<TaskHandle>
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let (tx, rx) = watch::channel(None);
        {
            let mut tasks = self.tasks.lock().unwrap();
            if tasks.contains_key(&id) {
                return Err(Error::JobBusy { id: id.0 });
            }
            tasks.insert(id, Entry { kind, control: control.clone(), tracker, done: rx.clone() });
        }
        let tasks = self.tasks.clone();
        let ended = self.ended.clone();
        let handle = TaskHandle { id, kind, control: control.clone(), done: rx };
        let last = handle.clone();
        let span = tracing::info_span!("job", id = id.0, task = ?kind);
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                let outcome = task.await;
                match &outcome {
                    Ok(_) => tracing::info!("task ended"),
                    Err(Error::Cancelled) => tracing::info!("task stopped"),
                    Err(e) => tracing::warn!(error = %e, "task failed"),
                }
                {
                    // Both locks, in this order, so that a waiter finds the task in one or the other.
                    let mut tasks = tasks.lock().unwrap();
                    ended.lock().unwrap().insert(id, last);
                    tasks.remove(&id);
                }
                on_end(id, &outcome);
                let _ = tx.send(Some(outcome));
            },
            span,
        ));
        Ok(handle)
    }

    /// The task that runs for `id`, or else the last one that ended (its outcome is kept).
    pub fn latest(&self, id: JobId) -> Option<TaskHandle> {
        let tasks = self.tasks.lock().unwrap();
        match tasks.get(&id) {
            Some(e) => Some(TaskHandle { id, kind: e.kind, control: e.control.clone(), done: e.done.clone() }),
            None => self.ended.lock().unwrap().get(&id).cloned(),
        }
    }

    pub fn handle(&self, id: JobId) -> Option<TaskHandle> {
        self.tasks.lock().unwrap().get(&id).map(|e| TaskHandle { id, kind: e.kind, control: e.control.clone(), done: e.done.clone() })
    }

    pub fn info(&self, id: JobId) -> Option<TaskInfo> {
        self.tasks.lock().unwrap().get(&id).map(|e| TaskInfo { kind: e.kind, paused: e.control.state() == RunState::Paused })
    }

    fn control(&self, id: JobId) -> Option<Control> {
        self.tasks.lock().unwrap().get(&id).map(|e| e.control.clone())
    }

    pub fn pause(&self, id: JobId) -> bool {
        self.control(id).map(|c| c.pause()).is_some()
    }

    pub fn resume(&self, id: JobId) -> bool {
        self.control(id).map(|c| c.resume()).is_some()
    }

    pub fn cancel(&self, id: JobId) -> bool {
        self.control(id).map(|c| c.cancel()).is_some()
    }

    /// Cancel every task (the app is quitting).
    pub fn cancel_all(&self) {
        for e in self.tasks.lock().unwrap().values() {
            e.control.cancel();
        }
    }

    /// Jobs with a task now.
    pub fn running(&self) -> Vec<JobId> {
        self.tasks.lock().unwrap().keys().copied().collect()
    }

    /// The progress of every running task that moves bytes.
    pub fn progress(&self) -> Vec<(JobId, Progress)> {
        self.tasks
            .lock()
            .unwrap()
            .iter()
            .map(|(id, e)| (*id, e.tracker.snapshot(e.control.state() == RunState::Paused)))
            .collect()
    }
}
