//! Files sent as attachments, the API's and the portal's alike: streamed
//! as produced (the audit trail's export), or kept whole (bank files).

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

/// A file kept whole (a bank file), sent as an attachment byte for byte
/// with its SHA-256 in `X-Content-SHA256`: XML or CSV by its name.
#[derive(Responder)]
pub struct Kept {
    content: Vec<u8>,
    content_type: ContentType,
    disposition: Header<'static>,
    sha256: Header<'static>,
}

impl Kept {
    /// The file `name` with `content` and its `sha256`; the name in the
    /// header keeps only ASCII letters, digits, `.`, `-` and `_`.
    pub fn new(name: &str, sha256: String, content: String) -> Self {
        let content_type = if name.ends_with(".xml") {
            ContentType::XML
        } else {
            ContentType::new("text", "csv").with_params(("charset", "utf-8"))
        };
        Self::bytes(name, sha256, content.into_bytes(), content_type)
    }

    /// A claim's evidence document: named by its kind and hash, of the type
    /// its content showed.
    pub fn document(kind: &str, sha256: String, media_type: &str, content: Vec<u8>) -> Self {
        let media: Option<crate::domain::evidence::MediaType> = media_type.parse().ok();
        let content_type = ContentType::parse_flexible(media_type).unwrap_or(ContentType::Binary);
        let extension = media.map_or("bin", |m| m.extension());
        let name = format!("{kind}-{}.{extension}", &sha256[..12.min(sha256.len())]);
        Self::bytes(&name, sha256, content, content_type)
    }

    /// The same for any content, of `content_type`.
    pub fn bytes(name: &str, sha256: String, content: Vec<u8>, content_type: ContentType) -> Self {
        let ascii: String = name
            .chars()
            .map(|c| match c {
                c if c.is_ascii_alphanumeric() || ".-_".contains(c) => c,
                _ => '_',
            })
            .collect();
        Kept {
            content,
            content_type,
            disposition: Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{ascii}\""),
            ),
            sha256: Header::new("X-Content-SHA256", sha256),
        }
    }
}
