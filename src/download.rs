//! A file streamed to the client as it is produced, as an attachment: the
//! API's and the portal's downloads alike (the audit trail's export).

use rocket::http::{ContentType, Header};
use rocket::response::stream::TextStream;
use rocket::Responder;

/// A streamed file.
#[derive(Responder)]
pub struct Download<S> {
    inner: TextStream<S>,
    content_type: ContentType,
    disposition: Header<'static>,
}

impl<S> Download<S> {
    /// The lines of `lines`, as the file `filename` of `content_type`
    /// (plain text when that does not parse).
    pub fn new(filename: &str, content_type: &str, lines: S) -> Self {
        Download {
            disposition: Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{filename}\""),
            ),
            inner: TextStream::from(lines),
            content_type: ContentType::parse_flexible(content_type).unwrap_or(ContentType::Plain),
        }
    }
}
