//! The HTTP side of `watch`: metrics, the JSON API, the status page and a
//! health check, all read from the shared live state.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::{now_ms, Shared};

/// The routes, on `shared`; with a `token`, every one but `/healthz`
/// (for probes) needs `Authorization: Bearer TOKEN`.
pub fn router(shared: Arc<Shared>, token: Option<String>) -> Router {
    let guarded = Router::new()
        .route("/", get(status_page))
        .route("/metrics", get(metrics))
        .route("/api/tunnels", get(tunnels))
        .route("/api/findings", get(findings))
        .fallback(not_found);
    let guarded = match token {
        Some(token) => {
            let token = Arc::new(token);
            guarded.layer(middleware::from_fn(move |request, next| {
                let token = token.clone();
                bearer(token, request, next)
            }))
        }
        None => guarded,
    };
    Router::new()
        .route("/healthz", get(healthz))
        .merge(guarded)
        .with_state(shared)
}

/// Lets a request through only with the bearer token (compared in time
/// that does not depend on where it differs).
async fn bearer(token: Arc<String>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if same(given.as_bytes(), token.as_bytes()) {
        return next.run(request).await;
    }
    let mut response = respond(
        "text/plain; charset=utf-8",
        "a bearer token is needed (Authorization: Bearer ...)\n".to_owned(),
    );
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"ipsec-doctor\""),
    );
    response
}

fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Headers every answer carries: nothing is cached, sniffed or framed.
fn respond(content_type: &'static str, body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(ipsec_doctor_live::CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

async fn status_page(State(shared): State<Arc<Shared>>) -> Response {
    let body = shared.with_live(|live| ipsec_doctor_live::page(live, now_ms()));
    respond("text/html; charset=utf-8", body)
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let mut dropped: Vec<(&'static str, u64)> = shared
        .stats
        .dropped()
        .into_iter()
        .map(|(reason, n)| (reason.as_str(), n))
        .collect();
    dropped.push(("kernel_receive_buffer", shared.stats.kernel_udp_drops()));
    match shared.with_live(|live| ipsec_doctor_live::metrics(live, &dropped)) {
        Ok(body) => respond(ipsec_doctor_live::METRICS_CONTENT_TYPE, body),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "metrics could not be encoded\n",
        )
            .into_response(),
    }
}

async fn tunnels(State(shared): State<Arc<Shared>>) -> Response {
    let body = shared.with_live(|live| ipsec_doctor_live::api::tunnels(live).to_string());
    respond("application/json", body)
}

async fn findings(State(shared): State<Arc<Shared>>) -> Response {
    let body = shared.with_live(|live| ipsec_doctor_live::api::findings(live).to_string());
    respond("application/json", body)
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    match shared.health() {
        Ok(()) => respond("text/plain; charset=utf-8", "ok\n".to_owned()),
        Err(problem) => {
            let mut response = respond("text/plain; charset=utf-8", format!("{problem}\n"));
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response
        }
    }
}

async fn not_found() -> Response {
    let mut response = respond(
        "text/plain; charset=utf-8",
        "not found: / /metrics /api/tunnels /api/findings /healthz\n".to_owned(),
    );
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}
