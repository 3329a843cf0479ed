//! A claim's evidence: the contract, the invoice, proof that the company
//! paid its own share and the service report, each an uploaded file of at
//! most [`MAX_SIZE`] whose type is read from its content (PDF, JPEG, PNG or
//! OFD, China's fixed-layout format), never from its name.

use super::DomainError;

/// The most a document may weigh: 10 MiB.
pub const MAX_SIZE: usize = 10 * 1024 * 1024;

/// What a document proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// The service contract (合同).
    Contract,
    /// The provider's invoice (发票).
    Invoice,
    /// Proof that the company paid its own share (自付部分付款凭证).
    OwnSharePayment,
    /// The service report (服务报告).
    ServiceReport,
}

crate::text_enum!(DocumentKind {
    Contract => "contract",
    Invoice => "invoice",
    OwnSharePayment => "own_share_payment",
    ServiceReport => "service_report",
});

/// A document's type, as its content shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Pdf,
    Jpeg,
    Png,
    Ofd,
}

crate::text_enum!(MediaType {
    Pdf => "application/pdf",
    Jpeg => "image/jpeg",
    Png => "image/png",
    Ofd => "application/ofd",
});

impl MediaType {
    /// The file name extension for downloads.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Pdf => "pdf",
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Ofd => "ofd",
        }
    }
}

/// Why a document is refused (the `content` field's message), each said in
/// the portal in the reader's language.
pub const EMPTY: &str = "the file is empty";
pub const TOO_LARGE: &str = "the file is over 10 MiB";
pub const NOT_OFD: &str = "a ZIP file without OFD.xml is not an OFD document";
pub const NOT_A_DOCUMENT: &str =
    "the content is not a PDF, JPEG, PNG or OFD file (the type is read from the content, not the name)";

/// The reasons above, in order.
pub const REFUSALS: [&str; 4] = [EMPTY, TOO_LARGE, NOT_OFD, NOT_A_DOCUMENT];

/// The type of `content`, or a refusal naming what it is not: empty, over
/// 10 MiB, or none of PDF, JPEG, PNG and OFD (an OFD is a ZIP package whose
/// entries include `OFD.xml`).
pub fn sniff(content: &[u8]) -> Result<MediaType, DomainError> {
    let refuse = |why: &str| DomainError::field("content", why);
    if content.is_empty() {
        return Err(refuse(EMPTY));
    }
    if content.len() > MAX_SIZE {
        return Err(refuse(TOO_LARGE));
    }
    let found = if content.starts_with(b"%PDF-") {
        MediaType::Pdf
    } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
        MediaType::Jpeg
    } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
        MediaType::Png
    } else if content.starts_with(b"PK\x03\x04") {
        if !zip_names(content).any(|name| name == b"OFD.xml") {
            return Err(refuse(NOT_OFD));
        }
        MediaType::Ofd
    } else {
        return Err(refuse(NOT_A_DOCUMENT));
    };
    Ok(found)
}

/// The names of a ZIP archive's entries, from its local file headers (as
/// far as they can be followed).
fn zip_names(content: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let header = content.get(at..at.checked_add(30)?)?;
        if !header.starts_with(b"PK\x03\x04") {
            return None;
        }
        let u16_at = |i: usize| usize::from(u16::from_le_bytes([header[i], header[i + 1]]));
        let u32_at = |i: usize| {
            u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]) as usize
        };
        let (compressed, name_len, extra_len) = (u32_at(18), u16_at(26), u16_at(28));
        let name_start = at + 30;
        let name = content.get(name_start..name_start.checked_add(name_len)?)?;
        at = name_start
            .checked_add(name_len)?
            .checked_add(extra_len)?
            .checked_add(compressed)?;
        Some(name)
    })
}

pub mod samples {
    //! Small, valid files of each type: for tests and the demo.

    /// A one-page PDF.
    pub const PDF: &[u8] =
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

    /// A JPEG's first and last markers.
    pub const JPEG: &[u8] = &[
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9,
    ];

    /// A PNG's signature and header chunk name.
    pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";

    /// A ZIP package with `OFD.xml` stored (not compressed).
    pub fn ofd() -> Vec<u8> {
        zip_of(
            "OFD.xml",
            b"<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\"/>",
        )
    }

    /// The four documents of a claim, one of each type, by kind: what the
    /// demo's, the scenarios' and the tests' claims carry.
    pub fn for_claim() -> [(&'static str, Vec<u8>); 4] {
        [
            ("contract", PDF.to_vec()),
            ("invoice", ofd()),
            ("own_share_payment", JPEG.to_vec()),
            ("service_report", PNG.to_vec()),
        ]
    }

    /// A ZIP archive of one stored entry.
    pub fn zip_of(name: &str, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(body);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_is_read_from_the_content() {
        assert_eq!(sniff(samples::PDF).unwrap(), MediaType::Pdf);
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 1]).unwrap(),
            MediaType::Jpeg
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....").unwrap(), MediaType::Png);
        assert_eq!(sniff(&samples::ofd()).unwrap(), MediaType::Ofd);
        let zip = samples::zip_of("word/document.xml", b"<w/>");
        assert!(sniff(&zip).unwrap_err().field_message().contains("OFD.xml"));
        assert!(sniff(b"just text named invoice.pdf").is_err());
        assert!(sniff(b"").is_err());
        let huge = [b"%PDF-".as_slice(), &vec![0u8; MAX_SIZE]].concat();
        assert!(sniff(&huge).unwrap_err().field_message().contains("10 MiB"));
        // A truncated ZIP header is not followed past its end.
        assert!(sniff(b"PK\x03\x04\x14\x00").is_err());
    }
}
