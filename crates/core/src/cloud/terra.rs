//! DJI TerraAPI as a [`Cloud`] (terra-api.md): the signed client's calls, turned into the
//! service-neutral shapes the pipeline uses.

use super::{Cloud, Registered, RemoteFile, RemoteJob};
use crate::api::{CallbackFile, Client, FileInfo, Job, ListQuery, StartJob, StoreToken};
use crate::jobs::JobKind;
use crate::{Error, Result};

/// Rows asked per page of a listing.
const PAGE_ROWS: u32 = 100;

#[derive(Debug, Clone)]
pub struct TerraCloud {
    client: Client,
}

impl TerraCloud {
    pub fn new(client: Client) -> Self {
        TerraCloud { client }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

fn remote_job(j: Job) -> RemoteJob {
    let status = j.status.map(|_| j.status());
    RemoteJob {
        uuid: j.uuid,
        name: j.name,
        status,
        percentage: j.percentage,
        remain_seconds: j.remain_seconds,
        message: j.message.filter(|m| !m.trim().is_empty()),
        output: j.output_resource_uuid.filter(|s| !s.is_empty()),
    }
}

fn remote_file(f: FileInfo) -> RemoteFile {
    RemoteFile {
        uuid: f.uuid,
        name: f.name,
        size: f.size.map(|s| s.max(0) as u64),
        checksum: f.checksum.or(f.etag).map(|c| c.trim_matches('"').to_string()).filter(|c| !c.is_empty()),
        url: f.url.filter(|u| !u.is_empty()),
    }
}

#[async_trait::async_trait]
impl Cloud for TerraCloud {
    fn host(&self) -> &str {
        self.client.host()
    }

    fn proxy(&self) -> crate::net::Proxy {
        self.client.proxy().clone()
    }

    async fn storage_grant(&self) -> Result<StoreToken> {
        self.client.obtain_token().await
    }

    async fn create_input(&self, name: &str) -> Result<String> {
        Ok(self.client.create_resource(name, "map").await?.uuid)
    }

    async fn find_input(&self, marker: &str) -> Result<Option<String>> {
        let found = self.client.list_resources(&ListQuery::page(1, 20).with("search", marker)).await?;
        Ok(found.list.into_iter().find(|r| r.name.contains(marker)).map(|r| r.uuid))
    }

    async fn delete_input(&self, resource: &str) -> Result<()> {
        self.client.delete_resource(resource, false).await
    }

    async fn register(&self, resource: &str, callback_param: &str, files: &[CallbackFile]) -> Result<()> {
        self.client.upload_callback(resource, callback_param, files).await.map(|_| ())
    }

    async fn registered(&self, resource: &str) -> Result<Registered> {
        let mut out = Registered::new();
        self.client
            .each_file_of(resource, false, |f| {
                let etag = f.etag.or(f.checksum).unwrap_or_default().trim_matches('"').to_string();
                out.insert(f.name, etag);
            })
            .await?;
        Ok(out)
    }

    async fn create_job(&self, name: &str) -> Result<String> {
        Ok(self.client.create_job(name).await?.uuid)
    }

    async fn find_job(&self, marker: &str) -> Result<Option<RemoteJob>> {
        let found = self.client.list_jobs(&ListQuery::page(1, 20).with("search", marker)).await?;
        Ok(found.list.into_iter().find(|j| j.name.contains(marker)).map(remote_job))
    }

    async fn start_job(&self, job: &str, kind: JobKind, resource: &str, parameters: &str) -> Result<()> {
        let body = StartJob { kind: kind.type_code(), resource_uuid: resource.to_string(), parameters: parameters.to_string() };
        self.client.start_job(job, &body).await
    }

    async fn job(&self, job: &str) -> Result<RemoteJob> {
        self.client.get_job(job).await.map(remote_job)
    }

    async fn stop_job(&self, job: &str) -> Result<()> {
        self.client.stop_job(job).await
    }

    async fn delete_job(&self, job: &str) -> Result<()> {
        match self.client.delete_job(job).await {
            Ok(()) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn outputs(&self, resource: &str) -> Result<Vec<RemoteFile>> {
        let _ = PAGE_ROWS;
        Ok(self.client.all_files_of(resource).await?.into_iter().map(remote_file).collect())
    }

    async fn file_url(&self, file: &str) -> Result<Option<String>> {
        Ok(self.client.get_file(file).await?.url.filter(|u| !u.is_empty()))
    }
}
