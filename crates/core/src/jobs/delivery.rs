//! After the server: a finished job's result downloaded (all of it, or chosen outputs) and
//! exported as a Terra ZIP, each step saved on the job.

use super::machine::Machine;
use super::note::Note;
use super::store::{Change, JobId, JobRecord, JobState};
use crate::hooks::Point;
use crate::results::names::top_level;
use crate::results::{selected, DownloadReport, Downloader, ExportReport};
use crate::{Error, Result, UserError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One output the user may choose to download: a top-level folder or file of the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ResultOutput {
    pub name: String,
    pub files: u32,
    #[specta(type = f64)]
    pub bytes: u64,
    /// Every file of it is in the download folder.
    pub downloaded: bool,
}

/// Where a job's result goes unless the user chose a folder.
pub fn default_download_dir(data_dir: &Path, job: &JobRecord) -> PathBuf {
    let safe: String = job.name.chars().map(|c| if c.is_alphanumeric() || " -_".contains(c) { c } else { '_' }).collect();
    data_dir.join("results").join(format!("{}-{}", job.id, safe.trim()))
}

impl Machine {
    fn result_resource(&self, job: &JobRecord) -> Result<String> {
        job.output_resource_uuid.clone().filter(|_| job.state.has_result()).ok_or_else(|| Error::NoResult { id: job.id.0, state: job.state.as_str().into() })
    }

    /// The result's top-level outputs, and whether each is downloaded.
    pub async fn outputs(&self, id: JobId) -> Result<Vec<ResultOutput>> {
        let job = self.store.get(id)?;
        let files = self.cloud.outputs(&self.result_resource(&job)?).await?;
        let dir = job.download_dir.clone().map(PathBuf::from);
        let mut map: BTreeMap<String, (u32, u64, bool)> = BTreeMap::new();
        for f in files {
            let e = map.entry(top_level(&f.name).to_string()).or_insert((0, 0, true));
            e.0 += 1;
            e.1 += f.size.unwrap_or(0);
            let here = match (&dir, crate::results::names::safe_relative_path(&f.name)) {
                (Some(d), Ok(rel)) => std::fs::metadata(d.join(rel)).is_ok_and(|m| f.size.is_none_or(|s| m.len() == s)),
                _ => false,
            };
            e.2 &= here;
        }
        Ok(map.into_iter().map(|(name, (files, bytes, downloaded))| ResultOutput { name, files, bytes, downloaded }).collect())
    }

    /// Download the result (all of it, or the chosen top-level outputs) into `dest`.
    pub async fn download(&self, id: JobId, dest: PathBuf, outputs: Vec<String>, http: reqwest::Client) -> Result<DownloadReport> {
        let job = self.store.get(id)?;
        let resource = self.result_resource(&job)?;
        self.set(
            id,
            Change {
                state: Some(JobState::Downloading),
                from: Some(job.state),
                download_dir: Some(dest.display().to_string()),
                outputs: Some(outputs.clone()),
                note: Some(Note::Downloading { folder: dest.display().to_string() }),
                error: Some(None),
                ..Default::default()
            },
        )?;
        let result = async {
            let files = self.cloud.outputs(&resource).await?;
            // What the result holds, to tell later what was not downloaded from what it lacks.
            let mut names: Vec<String> = files.iter().map(|f| top_level(&f.name).to_string()).collect();
            names.sort();
            names.dedup();
            self.store.update(id, Change { result_outputs: Some(names), ..Default::default() })?;
            let files = selected(&files, &outputs);
            let d = Downloader { http, cloud: self.cloud.clone(), opts: self.opts.download.clone(), control: self.control.clone(), tracker: self.tracker.clone() };
            d.run(files, &dest).await
        }
        .await;
        match result {
            Ok(report) => {
                self.point(Point::AfterDownload)?;
                let refused = report.refused.len() as u32;
                self.set(id, Change { state: Some(JobState::Downloaded), from: Some(JobState::Downloading), note: Some(Note::Downloaded { files: report.files, refused }), error: Some(None), ..Default::default() })?;
                Ok(report)
            }
            Err(Error::Cancelled) => {
                // Paused by the user (or the app closing): the .part files stay for next time.
                self.set(id, Change { state: Some(JobState::Finished), from: Some(JobState::Downloading), note: Some(Note::DownloadPaused), ..Default::default() })?;
                Err(Error::Cancelled)
            }
            Err(e) => {
                self.set(id, Change { state: Some(JobState::Finished), from: Some(JobState::Downloading), note: Some(Note::failed(&e)), error: Some(Some(UserError::from(&e))), ..Default::default() })?;
                Err(e)
            }
        }
    }

    /// Export the downloaded result as a Terra ZIP at `out`.
    pub async fn export(&self, id: JobId, out: PathBuf) -> Result<ExportReport> {
        let job = self.store.get(id)?;
        let dir = job
            .download_dir
            .clone()
            .filter(|_| matches!(job.state, JobState::Downloaded | JobState::Exported))
            .ok_or_else(|| Error::NotDownloaded { id: id.0, state: job.state.as_str().into() })?;
        let (control, tracker, kind) = (self.control.clone(), self.tracker.clone(), job.kind);
        let in_result = job.result_outputs.clone();
        let report = tokio::task::spawn_blocking(move || crate::results::export_terra_zip(kind, Path::new(&dir), &out, in_result.as_deref(), &control, &tracker))
            .await
            .map_err(Error::internal)??;
        self.set(
            id,
            Change {
                state: Some(JobState::Exported),
                from: Some(job.state),
                export_path: Some(report.path.clone()),
                note: Some(Note::Exported { path: report.path.clone(), entries: report.entries, moved: report.moved.len() as u32 }),
                ..Default::default()
            },
        )?;
        Ok(report)
    }
}
