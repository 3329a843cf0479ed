//! Events as JSON Lines and CSV (RFC 4180), one line at a time, so that an
//! export never holds more than a page of events in memory.

use sea_orm::{ConnectionTrait, DbErr};

use super::{events, Event, EventFilter};

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
}

impl Format {
    /// `jsonl` or `csv`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "jsonl" => Some(Format::JsonLines),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::JsonLines => "application/x-ndjson",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::JsonLines => "jsonl",
            Format::Csv => "csv",
        }
    }

    /// The first line, if the format has one.
    pub fn header(self) -> Option<String> {
        match self {
            Format::JsonLines => None,
            Format::Csv => Some(format!("{CSV_BOM}{}\n", COLUMNS.join(","))),
        }
    }

    /// One event as one line (ending in a newline).
    pub fn line(self, e: &Event) -> String {
        match self {
            Format::JsonLines => format!(
                "{}\n",
                serde_json::to_string(e).expect("an event serialises")
            ),
            Format::Csv => {
                let occurred = super::timestamp(e.occurred_at);
                let payload = super::canonical::to_canonical(&e.payload);
                let fields: [&str; 17] = [
                    &e.seq.to_string(),
                    &e.id.to_string(),
                    e.region.as_str(),
                    &occurred,
                    &e.actor.sub,
                    &e.actor.role,
                    e.actor.region.as_deref().unwrap_or(""),
                    &e.action,
                    &e.entity_type,
                    &e.entity_id,
                    e.request_id.as_deref().unwrap_or(""),
                    e.idempotency_key.as_deref().unwrap_or(""),
                    &payload,
                    &e.prev_hash,
                    &e.hash,
                    e.actor.via.as_deref().unwrap_or(""),
                    &e.operation_id.to_string(),
                ];
                let mut line = fields
                    .iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(",");
                line.push('\n');
                line
            }
        }
    }
}

const COLUMNS: [&str; 17] = [
    "seq",
    "id",
    "region",
    "occurred_at",
    "actor_sub",
    "actor_role",
    "actor_region",
    "action",
    "entity_type",
    "entity_id",
    "request_id",
    "idempotency_key",
    "payload",
    "prev_hash",
    "hash",
    // Added after the first release: new columns go at the end.
    "actor_via",
    "operation_id",
];

pub use crate::domain::text::{csv_field, CSV_BOM};

/// Pages through the events of `filter` (from `filter.after_seq`), `page`
/// at a time. Returns the next page's lines and moves the filter on; an
/// empty result means the end.
pub async fn next_lines<C: ConnectionTrait>(
    conn: &C,
    filter: &mut EventFilter,
    format: Format,
    page: u64,
) -> Result<Vec<String>, DbErr> {
    let rows = events(conn, filter, page).await?;
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        filter.after_seq = row.seq;
        lines.push(format.line(&Event::try_from(row)?));
    }
    Ok(lines)
}

/// Every event of `region` as the lines of a file in `format` (the CSV
/// header first), read a page at a time from one connection of `db`. A
/// failure mid-way ends the file early (and is logged): a reader of the
/// file sees it end before the head the service publishes.
pub fn lines(
    db: crate::store::Db,
    region: crate::domain::Region,
    format: Format,
) -> impl futures::Stream<Item = String> {
    let header = futures::stream::iter(format.header());
    let pages = futures::stream::unfold(
        (db, Some(EventFilter::of(region))),
        move |(db, filter)| async move {
            let mut filter = filter?;
            match next_lines(db.reader(), &mut filter, format, 1000).await {
                Ok(lines) if lines.is_empty() => None,
                Ok(lines) => Some((futures::stream::iter(lines), (db, Some(filter)))),
                Err(e) => {
                    tracing::error!(error = %e, "audit export stopped");
                    None
                }
            }
        },
    );
    futures::StreamExt::chain(header, futures::StreamExt::flatten(pages))
}

/// A region's whole audit trail as a file: its name, its content type and
/// its lines (see [`lines`]). What an edge serves it with is its own.
pub struct AuditFile<S> {
    /// `audit-JX.csv`.
    pub filename: String,
    pub content_type: &'static str,
    pub lines: S,
}

/// The audit trail of `region` as a file in `format`, streamed page by page
/// (the API's export and the portal's download).
pub fn file(
    db: crate::store::Db,
    region: crate::domain::Region,
    format: Format,
) -> AuditFile<impl futures::Stream<Item = String>> {
    AuditFile {
        filename: format!("audit-{region}.{}", format.extension()),
        content_type: format.content_type(),
        lines: lines(db, region, format),
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for formula in ["+1", "-1+2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(
                csv_field(formula).trim_start_matches('"').starts_with('\''),
                "{formula:?}"
            );
        }
    }
}
