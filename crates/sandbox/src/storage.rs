//! The sandbox's S3 endpoint: s3s over s3s-fs, accepting only the temporary credentials that
//! `obtain_token` issued, and refusing them with `ExpiredToken` once they expire, as S3 does.

use crate::api::Shared;
use crate::model::Op;
use s3s::auth::{Credentials, S3Auth, SecretKey};
use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result, S3};
use std::time::SystemTime;

pub struct TokenAuth {
    pub state: Shared,
}

#[async_trait::async_trait]
impl S3Auth for TokenAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        let st = self.state.lock().unwrap();
        match st.tokens.get(access_key) {
            None => Err(s3_error!(InvalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")),
            Some(t) if t.expires_at <= SystemTime::now() => Err(s3_error!(ExpiredToken, "The provided token has expired.")),
            Some(t) => Ok(SecretKey::from(t.secret_access_key.clone())),
        }
    }
}

/// s3s-fs with the token checks and the bookkeeping the API needs (ETags of stored objects,
/// multipart uploads in progress).
pub struct Store {
    pub fs: s3s_fs::FileSystem,
    pub state: Shared,
}

/// One account for every token: uploads started under one token continue under the next.
fn account<T>(mut req: S3Request<T>) -> S3Request<T> {
    req.credentials = Some(Credentials { access_key: "sandbox-account".into(), secret_key: SecretKey::from("unused") });
    req
}

impl Store {
    /// The session token must come with its access key; in OSS mode, no request checksums.
    fn check<T>(&self, req: &S3Request<T>) -> S3Result<()> {
        let Some(creds) = &req.credentials else { return Err(s3_error!(AccessDenied)) };
        let st = self.state.lock().unwrap();
        if st.config.storage_deny {
            return Err(s3_error!(InvalidAccessKeyId, "The OSS Access Key Id you provided does not exist in our records."));
        }
        if st.config.oss {
            let chunked = req.headers.get("content-encoding").and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("aws-chunked"));
            let checksum = req.headers.keys().any(|k| k.as_str().starts_with("x-amz-checksum-") || k.as_str() == "x-amz-sdk-checksum-algorithm");
            if chunked || checksum {
                return Err(s3_error!(InvalidArgument, "aws-chunked encoding and request checksums are not supported."));
            }
        }
        let Some(t) = st.tokens.get(&creds.access_key) else { return Err(s3_error!(InvalidAccessKeyId)) };
        if t.expires_at <= SystemTime::now() {
            return Err(s3_error!(ExpiredToken, "The provided token has expired."));
        }
        let given = req.headers.get("x-amz-security-token").and_then(|v| v.to_str().ok());
        if given != Some(t.session_token.as_str()) {
            return Err(s3_error!(InvalidToken, "The provided token is malformed or otherwise invalid."));
        }
        Ok(())
    }

    fn record(&self, key: &str, etag: Option<&ETag>, size: u64) {
        if let Some(e) = etag {
            let mut st = self.state.lock().unwrap();
            if st.counters.lost_objects < st.config.faults.lose_objects as u64 {
                // Acknowledged, then lost: the bytes go, and the account never knows the object.
                st.counters.lost_objects += 1;
                let _ = std::fs::remove_file(st.storage_root.join(crate::model::BUCKET).join(key));
                return;
            }
            st.commit(Op::Object { key: key.to_string(), etag: e.value().to_string(), size });
        }
    }

    /// OSS answers ETags in upper case.
    fn oss_case(&self, etag: &mut Option<ETag>) {
        if self.state.lock().unwrap().config.oss {
            if let Some(ETag::Strong(s)) = etag {
                *s = s.to_ascii_uppercase();
            }
        }
    }

    fn size_on_disk(&self, bucket: &str, key: &str) -> u64 {
        let st = self.state.lock().unwrap();
        std::fs::metadata(st.storage_root.join(bucket).join(key)).map(|m| m.len()).unwrap_or(0)
    }
}

#[async_trait::async_trait]
impl S3 for Store {
    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        self.check(&req)?;
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let mut out = self.fs.put_object(account(req)).await?;
        self.oss_case(&mut out.output.e_tag);
        let size = self.size_on_disk(&bucket, &key);
        self.record(&key, out.output.e_tag.as_ref(), size);
        Ok(out)
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        self.check(&req)?;
        self.fs.get_object(account(req)).await
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        self.check(&req)?;
        self.fs.head_object(account(req)).await
    }

    async fn head_bucket(&self, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
        self.check(&req)?;
        self.fs.head_bucket(account(req)).await
    }

    async fn delete_object(&self, req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.check(&req)?;
        let key = req.input.key.clone();
        let out = self.fs.delete_object(account(req)).await?;
        self.state.lock().unwrap().commit(Op::DeleteObject { key });
        Ok(out)
    }

    async fn list_objects_v2(&self, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.check(&req)?;
        self.fs.list_objects_v2(account(req)).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.check(&req)?;
        let key = req.input.key.clone();
        let out = self.fs.create_multipart_upload(account(req)).await?;
        if let Some(id) = &out.output.upload_id {
            self.state.lock().unwrap().commit(Op::Multipart { id: id.clone(), key, at: SystemTime::now() });
        }
        Ok(out)
    }

    async fn upload_part(&self, req: S3Request<UploadPartInput>) -> S3Result<S3Response<UploadPartOutput>> {
        self.check(&req)?;
        if !self.state.lock().unwrap().multipart.contains_key(&req.input.upload_id) {
            return Err(s3_error!(NoSuchUpload));
        }
        let mut out = self.fs.upload_part(account(req)).await?;
        self.oss_case(&mut out.output.e_tag);
        Ok(out)
    }

    async fn list_parts(&self, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
        self.check(&req)?;
        if !self.state.lock().unwrap().multipart.contains_key(&req.input.upload_id) {
            return Err(s3_error!(NoSuchUpload));
        }
        self.fs.list_parts(account(req)).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.check(&req)?;
        let (bucket, key, id) = (req.input.bucket.clone(), req.input.key.clone(), req.input.upload_id.clone());
        if !self.state.lock().unwrap().multipart.contains_key(&id) {
            return Err(s3_error!(NoSuchUpload));
        }
        let mut out = self.fs.complete_multipart_upload(account(req)).await?;
        // s3s-fs answers through a keep-alive future: resolve it to learn the ETag.
        if let Some(fut) = out.output.future.take() {
            out.output = fut.await?;
        }
        self.oss_case(&mut out.output.e_tag);
        let size = self.size_on_disk(&bucket, &key);
        self.record(&key, out.output.e_tag.as_ref(), size);
        self.state.lock().unwrap().commit(Op::EndMultipart { id });
        Ok(out)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.check(&req)?;
        let id = req.input.upload_id.clone();
        {
            let mut st = self.state.lock().unwrap();
            if !st.multipart.contains_key(&id) {
                return Err(s3_error!(NoSuchUpload));
            }
            st.commit(Op::EndMultipart { id: id.clone() });
        }
        self.fs.abort_multipart_upload(account(req)).await
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        self.check(&req)?;
        let prefix = req.input.prefix.clone().unwrap_or_default();
        let st = self.state.lock().unwrap();
        let mut uploads: Vec<MultipartUpload> = st
            .multipart
            .iter()
            .filter(|(_, (key, _))| key.starts_with(&prefix))
            .map(|(id, (key, at))| MultipartUpload {
                key: Some(key.clone()),
                upload_id: Some(id.clone()),
                initiated: Some(Timestamp::from(*at)),
                ..Default::default()
            })
            .collect();
        uploads.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(req.input.bucket.clone()),
            prefix: req.input.prefix.clone(),
            is_truncated: Some(false),
            uploads: Some(uploads),
            ..Default::default()
        }))
    }
}
