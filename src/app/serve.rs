//! `esc serve`: a small HTTP receiver for monitoring — `POST /v1/alertmanager` (an
//! Alertmanager webhook), `POST /v1/events` (a generic event), `GET /healthz`.
//!
//! axum on a current-thread tokio runtime parses, checks and routes each body (a bad one gets
//! 400 with a JSON error and writes nothing); one writer thread takes the queued payloads in
//! batches and writes each batch through [`Writer`] — one lock, one append, one sync — so
//! `serve`, `sweep` and people's commands share the ledger safely. A request that waits for
//! the ledger longer than `--busy-timeout` gets 503 with `Retry-After`, and its payload is
//! dropped before anything is written (the writer claims a payload only once it holds the
//! lock; a request that gave up first is never written). SIGTERM or Ctrl-C stops accepting,
//! lets in-flight requests finish their writes, and exits.

use super::intake_cmd::{PayloadResult, Writer};
use super::output::Output;
use super::policy_cmd;
use super::settings::Settings;
use crate::cli::ServeArgs;
use crate::intake::{self, Signal, Source};
use crate::policy::{Policy, duration};
use anyhow::{Context, Result, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;
use tokio::sync::oneshot;

/// Most payloads written in one batch.
const MAX_BATCH: usize = 256;

/// Seconds a client is told to wait after a 503.
const RETRY_AFTER: &str = "5";

/// A payload waiting for the writer.
struct Job {
    signals: Vec<Signal>,
    /// [`PENDING`], then [`CLAIMED`] by the writer or [`ABANDONED`] by the request.
    claim: Arc<AtomicU8>,
    reply: oneshot::Sender<Result<PayloadResult, String>>,
}

const PENDING: u8 = 0;
const CLAIMED: u8 = 1;
const ABANDONED: u8 = 2;

/// What every request handler shares.
struct App {
    policy: Arc<Policy>,
    token: Option<String>,
    busy: Duration,
    jobs: mpsc::Sender<Job>,
}

/// `esc serve`.
pub fn serve(settings: &Settings, args: &ServeArgs, out: &mut Output) -> Result<()> {
    let addr: SocketAddr = args.listen.parse().with_context(|| {
        format!(
            "--listen `{}` is not an address and port: write e.g. 127.0.0.1:9095",
            args.listen
        )
    })?;
    let token = std::env::var(&args.token_env)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if token.is_none() && !addr.ip().is_loopback() {
        bail!(
            "refusing to listen on {addr} without a token: anyone who can reach it could write cases. Set ${} to a secret (monitoring then sends `Authorization: Bearer <secret>`), or listen on 127.0.0.1",
            args.token_env
        );
    }
    let busy = duration::parse(&args.busy_timeout)
        .map_err(|e| anyhow::anyhow!("--busy-timeout `{}`: {e}", args.busy_timeout))?
        .to_std()
        .context("--busy-timeout must be positive")?;
    let policy = Arc::new(policy_cmd::load(&settings.policy)?);
    if policy.intake.is_empty() {
        bail!(
            "{} has no [[intake]] rules, so esc serve could route no alert: add one (a rule without `match` takes every alert), see docs/intake.md",
            settings.policy.display()
        );
    }
    // The store is opened here to refuse an unreachable one at once, and again by the writer
    // thread, which owns its own connection.
    drop(settings.store()?);
    let writer_policy = Policy::clone(&policy);
    let (jobs, queue) = mpsc::channel::<Job>();
    let writer_settings = settings.clone();
    let writer_thread = std::thread::Builder::new()
        .name("esc-serve-writer".into())
        .spawn(move || match writer_settings.store() {
            Ok(store) => write_loop(Writer::new(store, writer_policy), &writer_settings, &queue),
            Err(e) => eprintln!("error: the writer cannot open the ledger: {e:#}"),
        })
        .context("cannot start the writer thread")?;

    let app = Arc::new(App {
        policy,
        token,
        busy,
        jobs,
    });
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/alertmanager", post(alertmanager))
        .route("/v1/events", post(events))
        .layer(DefaultBodyLimit::max(args.max_body))
        .with_state(app);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the HTTP runtime")?;
    let served: Result<()> = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr().unwrap_or(addr);
        out.say(&format!(
            "esc serve: listening on http://{local} (POST /v1/alertmanager, POST /v1/events, GET /healthz)"
        ))?;
        axum::serve(listener, router)
            .with_graceful_shutdown(stopped())
            .await
            .context("the HTTP server failed")
    });
    // The router (and with it every job sender) is gone: the writer finishes and stops.
    let joined = writer_thread.join();
    served?;
    if joined.is_err() {
        bail!("the writer thread failed; run `esc ledger verify`");
    }
    out.say("esc serve: stopped")?;
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
async fn stopped() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The writer thread: take what is queued, write it as one batch, answer each request.
fn write_loop(mut writer: Writer, settings: &Settings, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut claimed: Vec<Job> = Vec::with_capacity(jobs.len());
        let written = writer.write(&settings.actor, || {
            // Under the lock: the time to write at, then only the requests still waiting.
            let now = settings.for_write()?.now;
            let mut batch = Vec::with_capacity(jobs.len());
            for mut job in jobs.drain(..) {
                if job
                    .claim
                    .compare_exchange(PENDING, CLAIMED, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    batch.push(std::mem::take(&mut job.signals));
                    claimed.push(job);
                }
            }
            Ok((now, batch))
        });
        match written {
            Ok(results) => {
                for (job, result) in claimed.into_iter().zip(results) {
                    let _ = job.reply.send(Ok(result));
                }
            }
            Err(e) => {
                let message = format!("{e:#}");
                for job in claimed.into_iter().chain(jobs) {
                    let _ = job.reply.send(Err(message.clone()));
                }
            }
        }
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

async fn healthz() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

async fn alertmanager(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    receive(&app, Source::Alertmanager, &headers, body).await
}

async fn events(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    receive(&app, Source::Event, &headers, body).await
}

/// Equal in constant time (for the token).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn receive(
    app: &App,
    source: Source,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Some(token) = &app.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if !given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong bearer token: send `Authorization: Bearer <token>` with the token esc serve was started with",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            let status = rejection.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                "the body is larger than esc serve accepts (--max-body); nothing recorded"
                    .to_string()
            } else {
                format!("cannot read the body: {}", rejection.body_text())
            };
            return error(status, message);
        }
    };
    let signals = match intake::signals(&app.policy, source, &body) {
        Ok(s) => s,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("nothing recorded: {e}")),
    };
    let claim = Arc::new(AtomicU8::new(PENDING));
    let (reply, mut answer) = oneshot::channel();
    let job = Job {
        signals,
        claim: Arc::clone(&claim),
        reply,
    };
    if app.jobs.send(job).is_err() {
        return busy("esc serve is stopping; nothing recorded");
    }
    let result = match tokio::time::timeout(app.busy, &mut answer).await {
        Ok(r) => r,
        Err(_) => {
            if claim
                .compare_exchange(PENDING, ABANDONED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return busy(
                    "the ledger stayed busy past --busy-timeout (another esc command holds its lock); nothing recorded, try again",
                );
            }
            // The writer holds the lock and has this payload: its write is under way.
            answer.await
        }
    };
    match result {
        Ok(Ok(Ok(outcomes))) => axum::Json(json!({ "results": outcomes })).into_response(),
        Ok(Ok(Err(refusal))) => error(
            StatusCode::BAD_REQUEST,
            format!("nothing recorded: {refusal}"),
        ),
        Ok(Err(ledger)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("nothing recorded: {ledger}"),
        ),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the writer stopped before answering; nothing recorded",
        ),
    }
}

fn busy(message: &str) -> Response {
    let mut r = error(StatusCode::SERVICE_UNAVAILABLE, message);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER));
    r
}
