//! What the façade hands out: a job as the app shows it (with what may be done with it and the
//! steps of its timeline), a job's detail, a folder's summary, the catalog of fixed choices, and
//! the events the app follows.

use crate::account::AccountView;
use crate::dataset::{Dataset, OtherFile, SkipCode, SkippedFile};
use crate::jobs::actions::{actions, JobAction, TaskInfo, TaskKind};
use crate::jobs::fitness::{dataset_problems, suggest_kind};
use crate::jobs::{JobEvent, JobId, JobKind, JobRecord, JobState};
use crate::progress::Progress;
use crate::{Region, UserError};
use serde::{Deserialize, Serialize};

/// A job as every screen shows it. `seq` orders views: a view with a higher `seq` is newer, so the
/// app keeps, for each job, the view with the highest one and needs no other reconciling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    #[specta(type = f64)]
    pub seq: u64,
    pub job: JobRecord,
    /// What runs for it in this app now.
    pub task: Option<TaskInfo>,
    pub actions: Vec<JobAction>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum StepId {
    Upload,
    Queue,
    Processing,
    Download,
    Export,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Done,
    /// Under way now.
    Current,
    /// Next, waiting for the user (Download after processing, Export after a download).
    Ready,
    Pending,
    Failed,
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Step {
    pub id: StepId,
    pub status: StepStatus,
}

fn phase_of(state: JobState) -> Option<StepId> {
    match state {
        JobState::Draft | JobState::Uploading => Some(StepId::Upload),
        JobState::Queued => Some(StepId::Queue),
        JobState::Submitted | JobState::Processing => Some(StepId::Processing),
        JobState::Finished | JobState::Downloading => Some(StepId::Download),
        JobState::Downloaded => Some(StepId::Export),
        JobState::Exported | JobState::Failed | JobState::Stopped | JobState::Unreadable => None,
    }
}

/// The job's steps: Upload → Queue (only if it waited) → Processing → Download → Export. A failed
/// or stopped job shows where it ended; a step that waits for the user is `ready`.
pub fn steps(job: &JobRecord, events: &[JobEvent], task: Option<TaskInfo>) -> Vec<Step> {
    let waited = job.state == JobState::Queued || events.iter().any(|e| e.state == JobState::Queued);
    let mut ids = vec![StepId::Upload];
    if waited {
        ids.push(StepId::Queue);
    }
    ids.extend([StepId::Processing, StepId::Download, StepId::Export]);
    let (current, end) = match job.state {
        JobState::Exported => return ids.into_iter().map(|id| Step { id, status: StepStatus::Done }).collect(),
        JobState::Unreadable => return ids.into_iter().map(|id| Step { id, status: StepStatus::Pending }).collect(),
        JobState::Failed | JobState::Stopped => {
            let end = if job.state == JobState::Failed { StepStatus::Failed } else { StepStatus::Stopped };
            let reached = events.iter().rev().find_map(|e| phase_of(e.state));
            let current = match reached {
                Some(StepId::Download | StepId::Export) => StepId::Processing,
                Some(p) => p,
                None if job.remote_job_uuid.is_some() => StepId::Processing,
                None => StepId::Upload,
            };
            (current, end)
        }
        JobState::Finished => (StepId::Download, if task.is_some_and(|t| t.kind == TaskKind::Download) { StepStatus::Current } else { StepStatus::Ready }),
        JobState::Downloaded => (StepId::Export, if task.is_some_and(|t| t.kind == TaskKind::Export) { StepStatus::Current } else { StepStatus::Ready }),
        s => (phase_of(s).unwrap_or(StepId::Upload), StepStatus::Current),
    };
    let at = ids.iter().position(|i| *i == current).unwrap_or(0);
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| Step { id, status: if i < at { StepStatus::Done } else if i == at { end } else { StepStatus::Pending } })
        .collect()
}

impl JobView {
    pub fn new(seq: u64, job: JobRecord, events: &[JobEvent], task: Option<TaskInfo>) -> JobView {
        JobView { seq, actions: actions(&job, task), steps: steps(&job, events, task), task, job }
    }
}

/// A job's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobDetail {
    pub view: JobView,
    pub events: Vec<JobEvent>,
    /// The running task's progress, if any.
    pub progress: Option<Progress>,
}

/// Why the folder does not fit a kind (empty when it fits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct KindProblems {
    pub kind: JobKind,
    pub problems: Vec<UserError>,
}

/// What New job shows as soon as a folder is dropped or picked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSummary {
    pub root: String,
    pub name: String,
    pub file_count: u32,
    #[specta(type = f64)]
    pub total_bytes: u64,
    pub photos: u32,
    pub lidar_files: u32,
    /// JPEGs without EXIF (no position for the cloud).
    pub photos_without_exif: u32,
    /// Files that would be uploaded though they are neither photos nor LiDAR files (the first
    /// [`OTHERS_SHOWN`]; `other_count` and `other_bytes` count them all).
    pub others: Vec<OtherFile>,
    pub other_count: u32,
    #[specta(type = f64)]
    pub other_bytes: u64,
    /// Files left out of the survey, with why (the first [`SKIPPED_SHOWN`]; `skipped_count`
    /// counts them all, `skipped_codes` by reason).
    pub skipped: Vec<SkippedFile>,
    pub skipped_count: u32,
    pub skipped_codes: Vec<SkipCount>,
    pub suggested_kind: Option<JobKind>,
    pub problems: Vec<KindProblems>,
}

/// How many of the other files a summary names.
pub const OTHERS_SHOWN: usize = 200;
/// How many of the skipped files a summary names.
pub const SKIPPED_SHOWN: usize = 200;

/// How many files were skipped for one reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SkipCount {
    pub code: SkipCode,
    pub count: u32,
}

impl DatasetSummary {
    pub fn of(ds: &Dataset, path: &std::path::Path) -> DatasetSummary {
        let (mut other_count, mut other_bytes) = (0u32, 0u64);
        for f in ds.others() {
            other_count += 1;
            other_bytes += f.size;
        }
        DatasetSummary {
            photos_without_exif: ds.photos_without_exif,
            others: ds.others().take(OTHERS_SHOWN).map(|f| OtherFile { name: f.name.clone(), size: f.size, not_an_image: f.not_an_image }).collect(),
            other_count,
            other_bytes,
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            root: ds.root.clone(),
            file_count: ds.files.len() as u32,
            total_bytes: ds.total_bytes,
            photos: ds.photos,
            lidar_files: ds.lidar_files,
            skipped: ds.skipped.iter().take(SKIPPED_SHOWN).cloned().collect(),
            skipped_count: ds.skipped.len() as u32,
            skipped_codes: skip_counts(&ds.skipped),
            suggested_kind: suggest_kind(ds),
            problems: JobKind::ALL.into_iter().map(|k| KindProblems { kind: k, problems: dataset_problems(k, ds).iter().map(UserError::from).collect() }).collect(),
        }
    }
}

/// Skipped files counted by reason, the most common first.
fn skip_counts(skipped: &[SkippedFile]) -> Vec<SkipCount> {
    let mut counts: Vec<SkipCount> = Vec::new();
    for f in skipped {
        match counts.iter_mut().find(|c| c.code == f.code) {
            Some(c) => c.count += 1,
            None => counts.push(SkipCount { code: f.code, count: 1 }),
        }
    }
    counts.sort_by(|a, b| b.count.cmp(&a.count));
    counts
}

/// A region the account may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RegionInfo {
    pub id: Region,
    /// The TerraAPI address; `None` for the sandbox (local).
    pub host: Option<String>,
}

/// A language the app speaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LanguageInfo {
    /// "auto" follows the system.
    pub id: String,
    /// Its own name ("English", "简体中文"); empty for "auto".
    pub native: String,
}

/// The fixed choices the app offers, from the core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    pub regions: Vec<RegionInfo>,
    pub languages: Vec<LanguageInfo>,
    pub kinds: Vec<JobKind>,
    pub presets: Vec<crate::jobs::params::Preset>,
    pub version: String,
}

pub const LANGUAGES: &[(&str, &str)] = &[("auto", ""), ("en", "English"), ("zh-CN", "简体中文")];

impl Catalog {
    pub fn new() -> Catalog {
        Catalog {
            regions: Region::ALL.into_iter().map(|r| RegionInfo { id: r, host: r.host().map(str::to_string) }).collect(),
            languages: LANGUAGES.iter().map(|(id, native)| LanguageInfo { id: id.to_string(), native: native.to_string() }).collect(),
            kinds: JobKind::ALL.to_vec(),
            presets: crate::jobs::presets(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::new()
    }
}

/// How a task ended, for the page that started it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "kind", content = "report")]
pub enum TaskEnd {
    Pipeline,
    Download(crate::results::DownloadReport),
    Export(crate::results::ExportReport),
    Cancelled,
    Failed(UserError),
}

impl TaskEnd {
    pub fn of(outcome: &crate::jobs::runner::Outcome) -> TaskEnd {
        use crate::jobs::runner::TaskOutput;
        match outcome {
            Ok(TaskOutput::Job(_)) => TaskEnd::Pipeline,
            Ok(TaskOutput::Download(r)) => TaskEnd::Download(r.clone()),
            Ok(TaskOutput::Export(r)) => TaskEnd::Export(r.clone()),
            Err(crate::Error::Cancelled) => TaskEnd::Cancelled,
            Err(e) => TaskEnd::Failed(UserError::from(e)),
        }
    }
}

/// What the app (or a script) follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "kind", content = "data")]
pub enum DeskEvent {
    /// A job changed (or what runs for it did).
    Job(JobView),
    /// A job was deleted.
    Removed(JobId),
    /// A running task's progress, a few times a second.
    Progress { id: JobId, progress: Progress },
    /// A task ended: what it reports.
    Ended { id: JobId, end: TaskEnd },
    Account(AccountView),
    /// The computer is kept awake (files transfer), may sleep again, or could not be kept awake.
    Awake(crate::awake::AwakeState),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::JobParameters;

    fn job(state: JobState, remote: bool) -> JobRecord {
        JobRecord {
            id: JobId(1),
            revision: 1,
            name: "j".into(),
            kind: JobKind::Map2d,
            dataset: "/d".into(),
            parameters: JobParameters::new(JobKind::Map2d),
            region: Region::Sandbox,
            host: "h".into(),
            state,
            unreadable: None,
            resource_uuid: None,
            remote_job_uuid: remote.then(|| "r".into()),
            output_resource_uuid: None,
            remote_status: None,
            percentage: None,
            remain_seconds: None,
            error: None,
            waiting_reason: None,
            download_dir: None,
            outputs: vec![],
            export_path: None,
            retry_of: None,
            leave_out_others: false,
            result_outputs: None,
            left_out: vec![],
            created_at: 0,
            updated_at: 0,
            resource_marker: None,
            job_marker: None,
            start_sent: false,
        }
    }

    fn ev(state: JobState) -> JobEvent {
        JobEvent { at: 0, state, code: None, params: Default::default(), message: String::new() }
    }

    fn statuses(state: JobState, events: &[JobEvent], task: Option<TaskInfo>) -> Vec<(StepId, StepStatus)> {
        steps(&job(state, false), events, task).into_iter().map(|s| (s.id, s.status)).collect()
    }

    use StepId::*;
    use StepStatus::*;

    #[test]
    fn walks_upload_processing_download_export() {
        assert_eq!(statuses(JobState::Uploading, &[], None), [(Upload, Current), (Processing, Pending), (Download, Pending), (Export, Pending)]);
        assert_eq!(statuses(JobState::Processing, &[], None), [(Upload, Done), (Processing, Current), (Download, Pending), (Export, Pending)]);
        // Processing is done and the download waits for the user: ready, not in progress.
        assert_eq!(statuses(JobState::Finished, &[], None), [(Upload, Done), (Processing, Done), (Download, Ready), (Export, Pending)]);
        let dl = Some(TaskInfo { kind: TaskKind::Download, paused: false });
        assert_eq!(statuses(JobState::Finished, &[], dl)[2], (Download, Current));
        assert_eq!(statuses(JobState::Downloaded, &[], None)[3], (Export, Ready));
        assert!(statuses(JobState::Exported, &[], None).iter().all(|(_, s)| *s == Done));
    }

    #[test]
    fn shows_the_queue_only_when_the_job_waited() {
        assert!(!statuses(JobState::Processing, &[], None).iter().any(|(i, _)| *i == Queue));
        assert_eq!(statuses(JobState::Queued, &[], None)[1], (Queue, Current));
        let s = statuses(JobState::Processing, &[ev(JobState::Uploading), ev(JobState::Queued), ev(JobState::Processing)], None);
        assert_eq!(&s[1..3], [(Queue, Done), (Processing, Current)]);
    }

    #[test]
    fn marks_where_a_job_failed_or_was_stopped() {
        let s = statuses(JobState::Failed, &[ev(JobState::Uploading), ev(JobState::Submitted), ev(JobState::Processing), ev(JobState::Failed)], None);
        assert_eq!(s, [(Upload, Done), (Processing, Failed), (Download, Pending), (Export, Pending)]);
        let s = statuses(JobState::Stopped, &[ev(JobState::Draft), ev(JobState::Uploading), ev(JobState::Stopped)], None);
        assert_eq!(&s[..2], [(Upload, Stopped), (Processing, Pending)]);
    }
}
