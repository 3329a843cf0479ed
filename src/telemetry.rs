//! Logging with `tracing`, and a request id on every response and log line.

use std::net::IpAddr;
use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::request::{FromRequest, Outcome};
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
            path = %logged_path(req.uri().path().as_str()),
            status = res.status().code,
            ms = meta.started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
    }
}

/// A path as the access log writes it: an invitation's token (a secret
/// until it is accepted) is left out.
fn logged_path(path: &str) -> &str {
    if path.starts_with("/invite/") {
        "/invite/…"
    } else {
        path
    }
}

/// The client's address, for the failed-login limits: the socket's peer,
/// or — when the peer is one of `trusted_proxies` — the last address of
/// `X-Forwarded-For` that is not itself a trusted proxy. From anyone else
/// the header is ignored, so it cannot be used to dodge a limit or to
/// spend another's.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientAddress {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let app = req.rocket().state::<crate::App>().expect("App is managed");
        let forwarded: Vec<&str> = req.headers().get("X-Forwarded-For").collect();
        let peer = req.remote().map(|a| a.ip());
        let address = client_address(peer, &forwarded.join(","), &app.trusted_proxies);
        Outcome::Success(ClientAddress(address))
    }
}

/// See [`ClientAddress`]: `forwarded` is every `X-Forwarded-For` value,
/// joined by commas, nearest hop last.
pub fn client_address(peer: Option<IpAddr>, forwarded: &str, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let mut nearest = peer;
    for hop in forwarded
        .rsplit(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => nearest = ip,
            Ok(ip) => return Some(ip),
            // Not an address: what lies beyond it cannot be trusted.
            Err(_) => return Some(nearest),
        }
    }
    Some(nearest)
}

#[cfg(test)]
mod tests {
    use super::client_address;

    #[test]
    fn the_client_is_named_by_trusted_proxies_only() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let proxy = [ip("10.0.0.1"), ip("10.0.0.2")];
        let from = |peer: &str, forwarded: &str, trusted: &[std::net::IpAddr]| {
            client_address(Some(ip(peer)), forwarded, trusted).map(|a| a.to_string())
        };
        // No trusted proxy: the header is ignored.
        assert_eq!(
            from("198.51.100.9", "203.0.113.5", &[]).as_deref(),
            Some("198.51.100.9")
        );
        // From an untrusted peer: ignored too.
        assert_eq!(
            from("198.51.100.9", "203.0.113.5", &proxy).as_deref(),
            Some("198.51.100.9")
        );
        // From a trusted proxy: the last untrusted hop (a client's own
        // additions before it do not count).
        let chain = "1.2.3.4, 203.0.113.5, 10.0.0.2";
        assert_eq!(
            from("10.0.0.1", chain, &proxy).as_deref(),
            Some("203.0.113.5")
        );
        assert_eq!(
            from("10.0.0.1", "2001:db8::7", &proxy).as_deref(),
            Some("2001:db8::7")
        );
        // Nothing usable: the nearest trusted hop.
        assert_eq!(from("10.0.0.1", "", &proxy).as_deref(), Some("10.0.0.1"));
        assert_eq!(
            from("10.0.0.1", "unknown, 10.0.0.2", &proxy).as_deref(),
            Some("10.0.0.2")
        );
        assert_eq!(client_address(None, "203.0.113.5", &proxy), None);
    }
}
