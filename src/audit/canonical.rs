//! The canonical encoding of an audit event, version 1, and its hash.
//!
//! An event is encoded as one JSON object, compact (no spaces), object keys
//! sorted by their UTF-8 bytes at every depth, strings escaped as serde_json
//! escapes them, integers in decimal (the ledger has no floats):
//!
//! ```text
//! {"action":…,"actor":{"region":…,"role":…,"sub":…[,"via":…]},"entity_id":…,"entity_type":…,
//!  "id":…,"idempotency_key":…,"occurred_at":"2026-03-02T02:00:00.000000Z",
//!  "operation_id":…,"payload":{…},"prev_hash":…,"region":…,"request_id":…,"seq":…,"v":1}
//! ```
//!
//! The event's hash is the lower-case hex SHA-256 of those bytes. `prev_hash`
//! is the hash of the region's previous event (64 zeros for the first), so
//! each hash covers the whole chain before it.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The version of the encoding, part of every encoded event.
pub const VERSION: u64 = 1;

/// The `prev_hash` of a region's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `value` as canonical JSON: compact, keys sorted at every depth.
pub fn to_canonical(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The fields of an event that its hash covers. `payload` is the payload's
/// canonical JSON text, as stored.
#[derive(Debug, Clone)]
pub struct HashedFields<'a> {
    pub region: &'a str,
    pub seq: i64,
    pub id: &'a str,
    pub operation_id: &'a str,
    pub occurred_at: &'a str,
    pub actor_sub: &'a str,
    pub actor_role: &'a str,
    pub actor_region: Option<&'a str>,
    /// The channel a person acted through; absent (not null) for none.
    pub actor_via: Option<&'a str>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub request_id: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub payload: &'a str,
    pub prev_hash: &'a str,
}

/// Appends `text` as a JSON string literal.
fn push_string(out: &mut Vec<u8>, text: &str) {
    serde_json::to_writer(&mut *out, text).expect("writing to memory");
}

fn push_optional(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => push_string(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

/// The canonical bytes of an event: the same as [`to_canonical`] of the
/// event object, written directly (keys already in order) so that the
/// stored payload text is used as it is, without parsing it again.
pub fn encode(f: &HashedFields<'_>) -> String {
    let mut out = Vec::with_capacity(f.payload.len() + 512);
    out.extend_from_slice(b"{\"action\":");
    push_string(&mut out, f.action);
    out.extend_from_slice(b",\"actor\":{\"region\":");
    push_optional(&mut out, f.actor_region);
    out.extend_from_slice(b",\"role\":");
    push_string(&mut out, f.actor_role);
    out.extend_from_slice(b",\"sub\":");
    push_string(&mut out, f.actor_sub);
    if let Some(via) = f.actor_via {
        out.extend_from_slice(b",\"via\":");
        push_string(&mut out, via);
    }
    out.extend_from_slice(b"},\"entity_id\":");
    push_string(&mut out, f.entity_id);
    out.extend_from_slice(b",\"entity_type\":");
    push_string(&mut out, f.entity_type);
    out.extend_from_slice(b",\"id\":");
    push_string(&mut out, f.id);
    out.extend_from_slice(b",\"idempotency_key\":");
    push_optional(&mut out, f.idempotency_key);
    out.extend_from_slice(b",\"occurred_at\":");
    push_string(&mut out, f.occurred_at);
    out.extend_from_slice(b",\"operation_id\":");
    push_string(&mut out, f.operation_id);
    out.extend_from_slice(b",\"payload\":");
    out.extend_from_slice(f.payload.as_bytes());
    out.extend_from_slice(b",\"prev_hash\":");
    push_string(&mut out, f.prev_hash);
    out.extend_from_slice(b",\"region\":");
    push_string(&mut out, f.region);
    out.extend_from_slice(b",\"request_id\":");
    push_optional(&mut out, f.request_id);
    out.extend_from_slice(format!(",\"seq\":{},\"v\":{VERSION}}}", f.seq).as_bytes());
    String::from_utf8(out).expect("JSON text is UTF-8")
}

/// The hash of an event: hex SHA-256 of its canonical bytes.
pub fn hash(f: &HashedFields<'_>) -> String {
    hex::encode(Sha256::digest(encode(f).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_depth() {
        let value = json!({"b": 1, "a": {"d": [3, {"z": 1, "y": "é\"x"}], "c": null}});
        assert_eq!(
            to_canonical(&value),
            r#"{"a":{"c":null,"d":[3,{"y":"é\"x","z":1}]},"b":1}"#
        );
    }

    #[test]
    fn a_changed_field_changes_the_hash() {
        let payload = to_canonical(&json!({"amount": 100}));
        let fields = HashedFields {
            region: "JX",
            seq: 1,
            id: "e",
            operation_id: "o",
            occurred_at: "2026-03-02T02:00:00.000000Z",
            actor_sub: "s",
            actor_role: "company",
            actor_region: Some("JX"),
            actor_via: None,
            action: "redemption.hold",
            entity_type: "redemption",
            entity_id: "r",
            request_id: None,
            idempotency_key: Some("k"),
            payload: &payload,
            prev_hash: GENESIS,
        };
        let original = hash(&fields);
        assert_eq!(original.len(), 64);
        let other = to_canonical(&json!({"amount": 101}));
        assert_ne!(
            hash(&HashedFields {
                payload: &other,
                ..fields.clone()
            }),
            original
        );
        assert_ne!(
            hash(&HashedFields {
                seq: 2,
                ..fields.clone()
            }),
            original
        );
        assert_ne!(
            hash(&HashedFields {
                prev_hash: "1",
                ..fields.clone()
            }),
            original
        );
        assert_eq!(hash(&fields), original, "deterministic");
        // The direct encoding is the canonical encoding of the event object.
        let object = json!({
            "v": 1, "region": "JX", "seq": 1, "id": "e", "operation_id": "o",
            "occurred_at": "2026-03-02T02:00:00.000000Z",
            "actor": {"sub": "s", "role": "company", "region": "JX"},
            "action": "redemption.hold", "entity_type": "redemption", "entity_id": "r",
            "request_id": null, "idempotency_key": "k", "payload": {"amount": 100}, "prev_hash": GENESIS,
        });
        assert_eq!(encode(&fields), to_canonical(&object));
    }
}
