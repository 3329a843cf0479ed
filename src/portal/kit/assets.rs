//! The portal's style sheet and small script, embedded in the binary (no
//! CDN, nothing read at run time) and cached by browsers for a day.

use rocket::get;
use rocket::http::{ContentType, Header};
use rocket::response::Responder;

/// An embedded asset.
#[derive(Responder)]
pub struct Asset {
    body: &'static str,
    content_type: ContentType,
    cache: Header<'static>,
}

fn asset(body: &'static str, content_type: ContentType) -> Asset {
    Asset {
        body,
        content_type,
        cache: Header::new("Cache-Control", "public, max-age=86400"),
    }
}

/// The style sheet.
#[get("/assets/portal.css")]
pub fn css() -> Asset {
    asset(include_str!("../static/portal.css"), ContentType::CSS)
}

/// The script that shows the share limit as the user types (the page works
/// without it).
#[get("/assets/portal.js")]
pub fn script() -> Asset {
    asset(include_str!("../static/portal.js"), ContentType::JavaScript)
}
