//! Jobs running in the background of an app: one task per job, with its pause/resume/cancel
//! handle, and every watcher told of its progress.

use super::pipeline::{Events, Pipeline, PipelineEvent};
use super::store::JobRecord;
use crate::upload::{RunState, UploadControl};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

struct Running {
    control: UploadControl,
    watchers: Vec<Events>,
}

#[derive(Clone, Default)]
pub struct Runner {
    jobs: Arc<Mutex<HashMap<i64, Running>>>,
}

impl Runner {
    /// Advance job `id` in the background (a no-op but for `watcher` if it already runs).
    /// `on_end` gets the job as it ended, or the error that stopped it.
    pub fn run(&self, pipeline: Pipeline, id: i64, watcher: Option<Events>, on_end: impl FnOnce(crate::Result<JobRecord>) + Send + 'static) {
        let control = {
            let mut jobs = self.jobs.lock().unwrap();
            if let Some(r) = jobs.get_mut(&id) {
                r.watchers.extend(watcher);
                return;
            }
            let control = UploadControl::default();
            jobs.insert(id, Running { control: control.clone(), watchers: watcher.into_iter().collect() });
            control
        };
        let jobs = self.jobs.clone();
        let fan: Events = {
            let jobs = self.jobs.clone();
            Arc::new(move |e: PipelineEvent| {
                let watchers: Vec<Events> = jobs.lock().unwrap().get(&id).map(|r| r.watchers.clone()).unwrap_or_default();
                for w in watchers {
                    w(e.clone());
                }
            })
        };
        let pipeline = pipeline.with_control(control);
        tokio::spawn(async move {
            let result = pipeline.advance(id, &fan).await;
            if let Err(e) = &result {
                tracing::warn!(job = id, error = %e, "job stopped");
            }
            // Tell watchers the final state, then forget the job.
            if let Ok(j) = pipeline.store.get(id) {
                fan(PipelineEvent::Job(j));
            }
            jobs.lock().unwrap().remove(&id);
            on_end(result);
        });
    }

    pub fn watch(&self, id: i64, watcher: Events) -> bool {
        match self.jobs.lock().unwrap().get_mut(&id) {
            Some(r) => {
                r.watchers.push(watcher);
                true
            }
            None => false,
        }
    }

    fn control(&self, id: i64) -> Option<UploadControl> {
        self.jobs.lock().unwrap().get(&id).map(|r| r.control.clone())
    }

    pub fn pause(&self, id: i64) -> bool {
        self.control(id).map(|c| c.pause()).is_some()
    }

    pub fn resume(&self, id: i64) -> bool {
        self.control(id).map(|c| c.resume()).is_some()
    }

    pub fn cancel(&self, id: i64) -> bool {
        self.control(id).map(|c| c.cancel()).is_some()
    }

    pub fn is_running(&self, id: i64) -> bool {
        self.jobs.lock().unwrap().contains_key(&id)
    }

    pub fn is_paused(&self, id: i64) -> bool {
        self.control(id).is_some_and(|c| c.state() == RunState::Paused)
    }

    /// Jobs running now.
    pub fn running(&self) -> Vec<i64> {
        self.jobs.lock().unwrap().keys().copied().collect()
    }
}
