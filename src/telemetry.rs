//! Logging with `tracing`, and a request id on every response and log line.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};
use uuid::Uuid;

/// The header carrying the request id, both ways.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";

/// Sets up the global subscriber: `text` or `json`, filtered by `RUST_LOG`
/// (default `info`). Safe to call more than once.
pub fn init_logging(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,rocket=warn,rocket::server=off"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

#[derive(Clone)]
struct RequestMeta {
    id: String,
    started: Instant,
}

/// The id of the request: the caller's `X-Request-Id` when it is a sane
/// token, otherwise a new UUID.
pub fn request_id<'r>(req: &'r Request<'_>) -> &'r str {
    &meta(req).id
}

fn meta<'r>(req: &'r Request<'_>) -> &'r RequestMeta {
    req.local_cache(|| {
        let given = req
            .headers()
            .get_one(REQUEST_ID_HEADER)
            .filter(|id| {
                (1..=64).contains(&id.len())
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .map(str::to_owned);
        RequestMeta {
            id: given.unwrap_or_else(|| Uuid::now_v7().to_string()),
            started: Instant::now(),
        }
    })
}

/// Gives every request an id, echoes it in `X-Request-Id`, and logs one line
/// per request with method, path, status and duration.
pub struct RequestLog;

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info {
            name: "request id and access log",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        meta(req);
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let meta = meta(req);
        res.set_header(Header::new(REQUEST_ID_HEADER, meta.id.clone()));
        tracing::info!(
            request_id = %meta.id,
            method = %req.method(),
            path = %req.uri().path(),
            status = res.status().code,
            ms = meta.started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
    }
}
