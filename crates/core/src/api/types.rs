//! The TerraAPI's request and response types (terra-api.md §2–3). Unknown fields are ignored and
//! every field the contract does not promise is optional.

use serde::{Deserialize, Deserializer, Serialize};

/// `{"result": {"code", "desc", "msg"}, "data": …}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub result: Option<EnvelopeResult>,
    #[serde(default)]
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EnvelopeResult {
    pub code: i64,
    pub desc: String,
    pub msg: String,
}

impl EnvelopeResult {
    /// The most useful words the server gave.
    pub fn message(&self) -> String {
        match (self.msg.trim(), self.desc.trim()) {
            ("", "") => format!("code {}", self.code),
            (m, "") | ("", m) => m.to_string(),
            (m, d) if m == d => m.to_string(),
            (m, d) => format!("{m} ({d})"),
        }
    }
}

/// Temporary storage credentials from `obtain_token`.
#[derive(Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StoreToken {
    #[serde(rename = "accessKeyID", alias = "accessKeyId")]
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    #[serde(default)]
    pub region: String,
    pub cloud_bucket_name: String,
    #[serde(default)]
    pub cloud_name: String,
    pub store_path: String,
    pub callback_param: String,
    /// Unix seconds.
    #[serde(deserialize_with = "int_or_string")]
    pub expire_time: i64,
    /// Where the storage endpoint is, when the server says (the sandbox does); else derived from
    /// `cloudName` and `region`.
    #[serde(default)]
    pub endpoint: Option<String>,
}

impl std::fmt::Debug for StoreToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreToken")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("session_token", &"***")
            .field("region", &self.region)
            .field("cloud_bucket_name", &self.cloud_bucket_name)
            .field("cloud_name", &self.cloud_name)
            .field("store_path", &self.store_path)
            .field("expire_time", &self.expire_time)
            .finish()
    }
}

impl StoreToken {
    /// The object key of a file, given its path relative to the dataset folder.
    pub fn object_key(&self, relative: &str) -> String {
        if self.store_path.contains("{fileName}") {
            self.store_path.replace("{fileName}", relative)
        } else {
            format!("{}/{}", self.store_path.trim_end_matches('/'), relative)
        }
    }

    pub fn is_ali_oss(&self) -> bool {
        self.cloud_name.eq_ignore_ascii_case("ALI_OSS")
    }

    /// The S3 endpoint to upload to.
    pub fn storage_endpoint(&self) -> Option<String> {
        if let Some(e) = &self.endpoint {
            return Some(e.clone());
        }
        if self.is_ali_oss() {
            let r = self.region.trim();
            let r = if r.starts_with("oss-") { r.to_string() } else { format!("oss-{r}") };
            return Some(format!("https://{r}.aliyuncs.com"));
        }
        None
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Scope {
    pub min_latitude: Option<f64>,
    pub max_latitude: Option<f64>,
    pub min_longitude: Option<f64>,
    pub max_longitude: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Resource {
    pub uuid: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub meta: serde_json::Value,
    pub file_count: Option<i64>,
    pub total_size: Option<i64>,
    pub scope: Option<Scope>,
    pub revisable: Option<bool>,
    pub upload_used_time: Option<i64>,
    pub download_used_time: Option<i64>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceDetail {
    pub summary: Resource,
    pub file_uuids: Vec<String>,
    pub input_job_uuids: Vec<String>,
    pub output_job_uuids: Vec<String>,
}

/// One registered file, as `upload_callback` sends it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct CallbackFile {
    pub name: String,
    pub etag: String,
    pub checksum: String,
}

impl CallbackFile {
    pub fn new(name: impl Into<String>, etag: &str) -> Self {
        let etag = etag.trim().trim_matches('"').to_string();
        CallbackFile { name: name.into(), checksum: etag.clone(), etag }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Position {
    pub attitude: Option<serde_json::Value>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct FileInfo {
    pub uuid: String,
    pub name: String,
    pub checksum: Option<String>,
    pub etag: Option<String>,
    #[serde(deserialize_with = "opt_int_or_string")]
    pub size: Option<i64>,
    pub url: Option<String>,
    pub meta: serde_json::Value,
    pub position: Option<Position>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// Remote job statuses (terra-api.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    WaitingForStart,
    Waiting,
    Preparing,
    Executing,
    ResultProcessing,
    Stopped,
    Finished,
    Failed,
    Unknown,
}

impl JobStatus {
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => JobStatus::WaitingForStart,
            1 => JobStatus::Waiting,
            2 => JobStatus::Preparing,
            3 => JobStatus::Executing,
            4 => JobStatus::ResultProcessing,
            5 => JobStatus::Stopped,
            6 => JobStatus::Finished,
            7 => JobStatus::Failed,
            _ => JobStatus::Unknown,
        }
    }

    pub fn code(self) -> i64 {
        match self {
            JobStatus::WaitingForStart => 0,
            JobStatus::Waiting => 1,
            JobStatus::Preparing => 2,
            JobStatus::Executing => 3,
            JobStatus::ResultProcessing => 4,
            JobStatus::Stopped => 5,
            JobStatus::Finished => 6,
            JobStatus::Failed => 7,
            JobStatus::Unknown => -1,
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Stopped | JobStatus::Finished | JobStatus::Failed)
    }

    pub fn label(self) -> &'static str {
        match self {
            JobStatus::WaitingForStart => "waiting for start",
            JobStatus::Waiting => "waiting in the queue",
            JobStatus::Preparing => "preparing",
            JobStatus::Executing => "processing",
            JobStatus::ResultProcessing => "processing results",
            JobStatus::Stopped => "stopped",
            JobStatus::Finished => "finished",
            JobStatus::Failed => "failed",
            JobStatus::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Job {
    pub uuid: String,
    pub name: String,
    pub meta: serde_json::Value,
    #[serde(rename = "type", deserialize_with = "opt_int_or_string")]
    pub kind: Option<i64>,
    #[serde(deserialize_with = "opt_int_or_string")]
    pub status: Option<i64>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub origin_resource_uuid: Option<String>,
    pub output_resource_uuid: Option<String>,
    pub parameters: Option<String>,
    pub percentage: Option<f64>,
    pub pixels: Option<serde_json::Value>,
    pub remain_seconds: Option<f64>,
    pub message: Option<String>,
}

impl Job {
    pub fn status(&self) -> JobStatus {
        self.status.map(JobStatus::from_code).unwrap_or(JobStatus::WaitingForStart)
    }
}

/// `{"list": [...], "page": 1, "rows": 20, "total": 57}`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct Page<T> {
    pub list: Vec<T>,
    pub page: i64,
    pub rows: i64,
    pub total: i64,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page { list: Vec::new(), page: 1, rows: 0, total: 0 }
    }
}

impl<T> Page<T> {
    /// Whether pages after this one hold more.
    pub fn has_more(&self) -> bool {
        self.rows > 0 && self.page * self.rows < self.total && !self.list.is_empty()
    }
}

/// The body of `POST /v2/jobs/{uuid}/start`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StartJob {
    #[serde(rename = "type")]
    pub kind: i64,
    pub resource_uuid: String,
    pub parameters: String,
}

/// Query of list calls.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub page: Option<u32>,
    pub rows: Option<u32>,
    pub extra: Vec<(String, String)>,
}

impl ListQuery {
    pub fn page(page: u32, rows: u32) -> Self {
        ListQuery { page: Some(page), rows: Some(rows), extra: Vec::new() }
    }

    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.extra.push((key.to_string(), value.into()));
        self
    }

    pub fn to_query_string(&self) -> String {
        let mut pairs = Vec::new();
        for (k, v) in &self.extra {
            pairs.push((k.clone(), v.clone()));
        }
        if let Some(p) = self.page {
            pairs.push(("page".into(), p.to_string()));
        }
        if let Some(r) = self.rows {
            pairs.push(("rows".into(), r.to_string()));
        }
        if pairs.is_empty() {
            return String::new();
        }
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(&k, &v);
        }
        format!("?{}", s.finish())
    }
}

fn int_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    opt_int_or_string(d)?.ok_or_else(|| serde::de::Error::custom("a number is required"))
}

/// Accept `12`, `12.0` and `"12"`; `null` gives `None`.
fn opt_int_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_parses_with_unknown_and_missing_fields() {
        let j: Job = serde_json::from_str(r#"{"uuid":"u","name":"n","status":"3","percentage":0.5,"newField":{"a":1}}"#).unwrap();
        assert_eq!(j.status(), JobStatus::Executing);
        assert_eq!(j.percentage, Some(0.5));
        assert_eq!(j.remain_seconds, None);
    }

    #[test]
    fn token_object_key_and_oss_endpoint() {
        let t: StoreToken = serde_json::from_value(serde_json::json!({
            "accessKeyID": "a", "secretAccessKey": "s", "sessionToken": "t", "region": "cn-hangzhou",
            "cloudBucketName": "b", "cloudName": "ALI_OSS", "storePath": "x/y/{fileName}", "callbackParam": "c",
            "expireTime": 1700000000
        }))
        .unwrap();
        assert_eq!(t.object_key("a/b.jpg"), "x/y/a/b.jpg");
        assert_eq!(t.storage_endpoint().as_deref(), Some("https://oss-cn-hangzhou.aliyuncs.com"));
        assert!(!format!("{t:?}").contains("\"s\""));
    }

    #[test]
    fn list_query_encodes() {
        let q = ListQuery::page(2, 100).with("resourceUuid", "r 1");
        assert_eq!(q.to_query_string(), "?resourceUuid=r+1&page=2&rows=100");
    }
}
