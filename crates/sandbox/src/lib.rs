//! A faithful local TerraAPI: the signed API, an S3 endpoint for uploads, jobs that move through
//! their statuses, and generated results in the Terra layout. For demos, the CLI, the app's
//! Sandbox region, and every test.

mod api;
pub mod config;
pub mod fixtures;
mod download;
mod faults;
mod gateway;
mod launcher;
pub mod model;
pub mod outputs;
mod storage;

pub use config::{ExternalStorage, Faults, SandboxConfig, DEMO_ACCESS_KEY, DEMO_SECRET_KEY};
pub use launcher::BuiltIn;

use api::Shared;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State as AxState};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{any, get};
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub struct Sandbox {
    addr: SocketAddr,
    url: String,
    state: Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _tmp: Option<tempfile::TempDir>,
}

impl Sandbox {
    /// Bind its loopback address (127.0.0.1 unless told) and serve until stopped or dropped.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let (root, tmp) = match &config.data_dir {
            Some(d) => (d.clone(), None),
            None => {
                let t = tempfile::Builder::new().prefix("terradesk-sandbox-").tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        std::fs::create_dir_all(root.join(model::BUCKET))?;
        if !config.host.is_loopback() {
            return Err(std::io::Error::other(format!("{} is not a loopback address: the sandbox serves this computer only", config.host)));
        }
        let listener = tokio::net::TcpListener::bind((config.host, config.port)).await?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        let root = root.canonicalize()?;
        let mut st = match tmp {
            // A sandbox with a data folder keeps its account there across restarts.
            None => model::State::persistent(config, root.clone(), &root)?,
            Some(_) => model::State::new(config, root.clone()),
        };
        st.base_url = url.clone();
        let state: Shared = Arc::new(Mutex::new(st));

        let fs = s3s_fs::FileSystem::new(&root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let mut s3 = s3s::service::S3ServiceBuilder::new(storage::Store { fs, state: state.clone() });
        s3.set_auth(storage::TokenAuth { state: state.clone() });
        let s3 = s3.build();
        let s3_route = tower::service_fn(move |req: Request| {
            let s3 = s3.clone();
            async move {
                let req = req.map(s3s::Body::http_body_unsync);
                Ok::<_, std::convert::Infallible>(match s3.call(req).await {
                    Ok(resp) => resp.map(Body::new),
                    Err(e) => (http::StatusCode::INTERNAL_SERVER_ERROR, format!("{e:?}")).into_response(),
                })
            }
        });

        let app = Router::new()
            .route("/sandbox/stats", get(|AxState(s): AxState<Shared>| async move { axum::Json(stats(&s)) }))
            .route(
                "/sandbox/download/{id}",
                get(|AxState(s): AxState<Shared>, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>, headers: http::HeaderMap| async move {
                    download::serve(s, id, q, headers, false).await
                }),
            )
            .route(
                "/sandbox/blob/{id}",
                get(|AxState(s): AxState<Shared>, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>, headers: http::HeaderMap| async move {
                    download::serve(s, id, q, headers, true).await
                }),
            )
            .route(
                "/terra-rescon-be/{*rest}",
                any(|AxState(s): AxState<Shared>, method: http::Method, uri: http::Uri, headers: http::HeaderMap, body: bytes::Bytes| async move {
                    api::handle(s, method, uri, headers, body).await
                }),
            )
            .fallback_service(s3_route)
            .layer(middleware::from_fn_with_state(state.clone(), faults::faults))
            .with_state(state.clone());

        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).with_graceful_shutdown(async { let _ = rx.await; }).await;
        });
        tracing::info!(%url, "sandbox listening");
        Ok(Sandbox { addr, url, state, shutdown: Some(tx), task: Some(task), _tmp: tmp })
    }

    /// The base URL, for both the API and storage: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// This sandbox as a connection target: its URL, the demo keys, no proxy.
    pub fn target(&self) -> terradesk_core::connection::Target {
        use terradesk_core::connection::{SANDBOX_DEMO_ACCESS_KEY, SANDBOX_DEMO_SECRET_KEY};
        terradesk_core::connection::Target {
            region: terradesk_core::Region::Sandbox,
            host: self.url.clone(),
            credentials: terradesk_core::credentials::Credentials::new(SANDBOX_DEMO_ACCESS_KEY, terradesk_core::SecretKey::new(SANDBOX_DEMO_SECRET_KEY))
                .expect("the demo keys are valid"),
            proxy: terradesk_core::net::Proxy::direct(),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn access_key(&self) -> String {
        self.state.lock().unwrap().config.access_key.clone()
    }

    pub fn secret_key(&self) -> String {
        self.state.lock().unwrap().config.secret_key.clone()
    }

    /// Look inside (tests).
    pub fn inspect<R>(&self, f: impl FnOnce(&mut model::State) -> R) -> R {
        let mut st = self.state.lock().unwrap();
        st.settle();
        f(&mut st)
    }

    pub fn set_faults(&self, faults: Faults) {
        self.state.lock().unwrap().config.faults = faults;
    }

    pub fn set_token_lifetime(&self, d: std::time::Duration) {
        self.state.lock().unwrap().config.token_lifetime = d;
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// What tests outside the process want to know: registrations per file, multipart uploads in
/// progress, injected faults. Not part of the TerraAPI.
fn stats(state: &Shared) -> serde_json::Value {
    let st = state.lock().unwrap();
    let regs: serde_json::Map<String, serde_json::Value> =
        st.registrations.iter().map(|((r, n), c)| (format!("{r}/{n}"), serde_json::json!(c))).collect();
    serde_json::json!({
        "registrations": regs,
        "multipartInProgress": st.multipart.len(),
        "tokens": st.tokens.len(),
        "injectedErrors": st.counters.injected_errors,
        "injectedDrops": st.counters.injected_drops,
        "lostAnswers": st.counters.lost_answers,
        "lostObjects": st.counters.lost_objects,
        "resources": st.resources.len(),
        "inputResources": st.resources.values().filter(|r| r.kind != "output").count(),
        "jobs": st.jobs.len(),
        "startedJobs": st.jobs.values().filter(|j| j.started.is_some()).count(),
    })
}
