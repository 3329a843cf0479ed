//! The verification of an exported trail without the service or its
//! database (`voucher-ledger verify-export FILE`): the JSON Lines of
//! `export-audit` or of the API's export, as docs/audit-format.md specifies
//! them. `docs/verify_export.py` makes the same checks independently.
//!
//! Line by line, in order: the event's hash recomputed from the canonical
//! encoding, its sequence number and link to the previous event, every
//! recorded transfer's legs summing to zero (and recorded once), every
//! account's balance from the legs never below zero except the region's
//! outside accounts, and each voucher event's `available` and `held` equal
//! to the balances of the voucher's two accounts. The first line that
//! breaks one of them is named; nothing after it is trusted.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::canonical::{self, HashedFields, GENESIS};
use super::timestamp;
use crate::domain::{Money, Region};
use crate::ledger::{AccountKind, AccountRef};

/// What the verification of an exported trail found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The region of the events (none for an empty file).
    pub region: Option<String>,
    pub events: u64,
    pub transfers: u64,
    /// Accounts the legs moved.
    pub accounts: usize,
    /// The last event's sequence number and hash, to compare with the head
    /// the service publishes.
    pub head: Option<(i64, String)>,
    /// The first bad line (counted from 1) and what is wrong with it.
    pub bad: Option<(u64, String)>,
}

impl Report {
    /// Whether every line verified.
    pub fn ok(&self) -> bool {
        self.bad.is_none()
    }
}

/// One exported event, as docs/audit-format.md lists its fields.
#[derive(Deserialize)]
struct Line {
    seq: i64,
    id: String,
    operation_id: String,
    region: String,
    occurred_at: String,
    actor: LineActor,
    action: String,
    entity_type: String,
    entity_id: String,
    request_id: Option<String>,
    idempotency_key: Option<String>,
    payload: Value,
    prev_hash: String,
    hash: String,
}

#[derive(Deserialize)]
struct LineActor {
    sub: String,
    role: String,
    region: Option<String>,
    via: Option<String>,
}

#[derive(Deserialize)]
struct Recorded {
    #[serde(default)]
    transfers: Vec<RecordedTransfer>,
}

#[derive(Deserialize)]
struct RecordedTransfer {
    id: Uuid,
    year: i32,
    legs: Vec<RecordedLeg>,
}

#[derive(Deserialize)]
struct RecordedLeg {
    account_id: Uuid,
    amount_fen: i64,
}

/// The state carried from one line to the next.
struct Walk {
    report: Report,
    last_hash: String,
    balances: HashMap<Uuid, i64>,
    transfer_ids: HashSet<Uuid>,
}

/// Verifies the JSON Lines of an exported trail; an I/O error is the only
/// error (a malformed line is a finding).
pub fn verify(reader: impl BufRead) -> std::io::Result<Report> {
    let mut walk = Walk {
        report: Report::default(),
        last_hash: GENESIS.to_owned(),
        balances: HashMap::new(),
        transfer_ids: HashSet::new(),
    };
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        let number = i as u64 + 1;
        if let Err(problem) = walk.check(&line) {
            walk.report.bad = Some((number, problem));
            break;
        }
    }
    walk.report.accounts = walk.balances.len();
    Ok(walk.report)
}

impl Walk {
    fn check(&mut self, text: &str) -> Result<(), String> {
        let e: Line = serde_json::from_str(text).map_err(|err| format!("not an event: {err}"))?;
        let region = match &self.report.region {
            None => {
                self.report.region = Some(e.region.clone());
                e.region.clone()
            }
            Some(r) if *r == e.region => e.region.clone(),
            Some(r) => return Err(format!("an event of {} in a trail of {r}", e.region)),
        };
        let expected = self.report.head.as_ref().map_or(1, |(seq, _)| seq + 1);
        if e.seq != expected {
            return Err(format!("seq {} where {expected} was expected", e.seq));
        }
        if e.prev_hash != self.last_hash {
            return Err(format!(
                "prev_hash {} is not the previous event's hash {}",
                e.prev_hash, self.last_hash
            ));
        }
        let occurred_at = DateTime::parse_from_rfc3339(&e.occurred_at)
            .map_err(|err| format!("occurred_at {:?}: {err}", e.occurred_at))?
            .with_timezone(&Utc);
        let occurred_at = timestamp(occurred_at);
        let payload = canonical::to_canonical(&e.payload);
        let recomputed = canonical::hash(&HashedFields {
            region: &e.region,
            seq: e.seq,
            id: &e.id,
            operation_id: &e.operation_id,
            occurred_at: &occurred_at,
            actor_sub: &e.actor.sub,
            actor_role: &e.actor.role,
            actor_region: e.actor.region.as_deref(),
            actor_via: e.actor.via.as_deref(),
            action: &e.action,
            entity_type: &e.entity_type,
            entity_id: &e.entity_id,
            request_id: e.request_id.as_deref(),
            idempotency_key: e.idempotency_key.as_deref(),
            payload: &payload,
            prev_hash: &e.prev_hash,
        });
        if recomputed != e.hash {
            return Err(format!(
                "hash {} recorded, {recomputed} recomputed from the fields",
                e.hash
            ));
        }
        self.post(&region, &e.payload)?;
        if e.entity_type == "voucher" {
            self.voucher_matches(&region, &e.payload)?;
        }
        self.last_hash = e.hash.clone();
        self.report.head = Some((e.seq, e.hash));
        self.report.events += 1;
        Ok(())
    }

    /// Moves the balances by the event's recorded transfers.
    fn post(&mut self, region: &str, payload: &Value) -> Result<(), String> {
        let recorded: Recorded = serde_json::from_value(payload.clone())
            .map_err(|err| format!("payload.transfers: {err}"))?;
        let region = Region::parse(region).map_err(|err| format!("region: {err}"))?;
        for t in recorded.transfers {
            if !self.transfer_ids.insert(t.id) {
                return Err(format!("transfer {} is recorded twice", t.id));
            }
            if t.legs.len() < 2 {
                return Err(format!("transfer {} has fewer than two legs", t.id));
            }
            let sum = t
                .legs
                .iter()
                .try_fold(0i64, |sum, leg| sum.checked_add(leg.amount_fen));
            if sum != Some(0) {
                return Err(format!("the legs of transfer {} do not sum to zero", t.id));
            }
            let outside = AccountRef::of(&region, t.year, AccountKind::Outside).id();
            for leg in &t.legs {
                let balance = self.balances.entry(leg.account_id).or_insert(0);
                *balance = balance
                    .checked_add(leg.amount_fen)
                    .ok_or_else(|| format!("account {} overflows", leg.account_id))?;
                if *balance < 0 && leg.account_id != outside {
                    return Err(format!(
                        "transfer {} takes account {} below zero ({} fen)",
                        t.id, leg.account_id, balance
                    ));
                }
            }
            self.report.transfers += 1;
        }
        Ok(())
    }

    /// A voucher event's `available` and `held` are the balances of the
    /// voucher's accounts after the event's transfers.
    fn voucher_matches(&self, region: &str, payload: &Value) -> Result<(), String> {
        let (Some(id), Some(year)) = (
            payload["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()),
            payload["year"].as_i64().and_then(|y| i32::try_from(y).ok()),
        ) else {
            return Err("a voucher event without the voucher's id and year".into());
        };
        let region = Region::parse(region).map_err(|err| format!("region: {err}"))?;
        for (field, kind) in [
            ("available", AccountKind::Voucher),
            ("held", AccountKind::Hold),
        ] {
            let account = AccountRef::owned(&region, year, kind, id).id();
            let balance = Money::from_fen(self.balances.get(&account).copied().unwrap_or(0));
            if payload[field].as_str() != Some(balance.to_string().as_str()) {
                return Err(format!(
                    "voucher {id}: {field} is {} but its account's legs sum to {balance}",
                    payload[field]
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_verifies_with_no_head() {
        let report = verify(&b""[..]).unwrap();
        assert!(report.ok());
        assert_eq!(report.head, None);
    }

    #[test]
    fn a_line_that_is_not_an_event_is_named() {
        let report = verify(&b"{\"seq\":1}\n"[..]).unwrap();
        let (line, problem) = report.bad.unwrap();
        assert_eq!(line, 1);
        assert!(problem.starts_with("not an event"), "{problem}");
    }
}
