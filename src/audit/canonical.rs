//! The canonical encoding of an audit event, version 1, and its hash.
//!
//! An event is encoded as one JSON object, compact (no spaces), object keys
//! sorted by their UTF-8 bytes at every depth, strings escaped as serde_json
//! escapes them, integers in decimal (the ledger has no floats):
//!
//! ```text
//! {"action":…,"actor":{"region":…,"role":…,"sub":…},"entity_id":…,"entity_type":…,
//!  "id":…,"idempotency_key":…,"occurred_at":"2026-03-02T02:00:00.000000Z",
//!  "operation_id":…,"payload":{…},"prev_hash":…,"region":…,"request_id":…,"seq":…,"v":1}
//! ```
//!
//! The event's hash is the lower-case hex SHA-256 of those bytes. `prev_hash`
//! is the hash of the region's previous event (64 zeros for the first), so
//! each hash covers the whole chain before it.

use serde_json::{Map, Value};
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

/// The fields of an event that its hash covers.
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
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub request_id: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub payload: &'a Value,
    pub prev_hash: &'a str,
}

/// The canonical bytes of an event.
pub fn encode(f: &HashedFields<'_>) -> String {
    let mut actor = Map::new();
    actor.insert("sub".into(), f.actor_sub.into());
    actor.insert("role".into(), f.actor_role.into());
    actor.insert(
        "region".into(),
        f.actor_region.map(Value::from).unwrap_or(Value::Null),
    );
    let mut event = Map::new();
    event.insert("v".into(), VERSION.into());
    event.insert("region".into(), f.region.into());
    event.insert("seq".into(), f.seq.into());
    event.insert("id".into(), f.id.into());
    event.insert("operation_id".into(), f.operation_id.into());
    event.insert("occurred_at".into(), f.occurred_at.into());
    event.insert("actor".into(), Value::Object(actor));
    event.insert("action".into(), f.action.into());
    event.insert("entity_type".into(), f.entity_type.into());
    event.insert("entity_id".into(), f.entity_id.into());
    event.insert(
        "request_id".into(),
        f.request_id.map(Value::from).unwrap_or(Value::Null),
    );
    event.insert(
        "idempotency_key".into(),
        f.idempotency_key.map(Value::from).unwrap_or(Value::Null),
    );
    event.insert("payload".into(), f.payload.clone());
    event.insert("prev_hash".into(), f.prev_hash.into());
    to_canonical(&Value::Object(event))
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
        let payload = json!({"amount": 100});
        let fields = HashedFields {
            region: "JX",
            seq: 1,
            id: "e",
            operation_id: "o",
            occurred_at: "2026-03-02T02:00:00.000000Z",
            actor_sub: "s",
            actor_role: "company",
            actor_region: Some("JX"),
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
        let other = json!({"amount": 101});
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
    }
}
