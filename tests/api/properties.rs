//! Property: whatever companies, providers and regulators do — in any order,
//! refused or not, repeated with the same key — every invariant of the
//! ledger holds after every step, a refused operation changes nothing, and
//! a repeat changes nothing and answers as the first time.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{new_key, Req};
use crate::world::World;

#[derive(Debug, Clone)]
enum Op {
    Apply {
        company: usize,
        fen: i64,
    },
    Approve {
        application: usize,
        percent: Option<i64>,
    },
    Reject {
        application: usize,
    },
    Hold {
        voucher: usize,
        provider: usize,
        fen: i64,
        contract_percent: i64,
    },
    Complete {
        redemption: usize,
        percent: Option<i64>,
    },
    Cancel {
        redemption: usize,
        by_provider: bool,
    },
    Claim {
        provider: usize,
        redemptions: Vec<usize>,
    },
    Decide {
        claim: usize,
        action: usize,
    },
    Revoke {
        voucher: usize,
    },
    Repeat {
        step: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let index = || any::<usize>();
    prop_oneof![
        3 => (0..2usize, 1..5_000_000i64).prop_map(|(company, fen)| Op::Apply { company, fen }),
        3 => (index(), proptest::option::of(1..=120i64))
            .prop_map(|(application, percent)| Op::Approve { application, percent }),
        1 => index().prop_map(|application| Op::Reject { application }),
        5 => (index(), 0..2usize, 1..500_000i64, 150..=400i64).prop_map(
            |(voucher, provider, fen, contract_percent)| Op::Hold {
                voucher,
                provider,
                fen,
                contract_percent
            }
        ),
        4 => (index(), proptest::option::of(0..=120i64))
            .prop_map(|(redemption, percent)| Op::Complete { redemption, percent }),
        1 => (index(), any::<bool>())
            .prop_map(|(redemption, by_provider)| Op::Cancel { redemption, by_provider }),
        3 => (0..2usize, proptest::collection::vec(index(), 1..3))
            .prop_map(|(provider, redemptions)| Op::Claim { provider, redemptions }),
        3 => (index(), 0..3usize).prop_map(|(claim, action)| Op::Decide { claim, action }),
        1 => index().prop_map(|voucher| Op::Revoke { voucher }),
        2 => index().prop_map(|step| Op::Repeat { step }),
    ]
}

fn money(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// One request as sent, to be sent again.
#[derive(Clone)]
struct Sent {
    path: String,
    token: String,
    key: String,
    body: Value,
    status: u16,
    text: String,
}

#[derive(Default)]
struct Ids {
    applications: Vec<String>,
    vouchers: Vec<(String, i64)>,
    redemptions: Vec<(String, i64)>,
    claims: Vec<String>,
}

fn pick<T: Clone>(list: &[T], n: usize) -> Option<T> {
    (!list.is_empty()).then(|| list[n % list.len()].clone())
}

async fn state(w: &World) -> String {
    let mut s = w.snapshot().await;
    for table in ["applications", "transfers", "postings", "audit_events"] {
        s.push_str(&format!("{table}={}", w.app.count(table).await));
    }
    s
}

async fn run(ops: Vec<Op>) {
    // Decisions are sent as the regulator's API client: no four eyes here
    // (they have their own tests).
    let (w, _policies) = World::without_four_eyes().await;
    let companies = [&w.jx_company, &w.jx_company_2];
    let providers = [&w.jx_lab, &w.sh_lab];
    let jx = &w.jx_regulator;
    let mut ids = Ids::default();
    let mut sent: Vec<Sent> = Vec::new();
    for (step, op) in ops.into_iter().enumerate() {
        let request: Option<(String, String, Value)> = match &op {
            Op::Apply { company, fen } => Some((
                "/api/v1/applications".into(),
                companies[*company].token.clone(),
                json!({"region": "JX", "year": 2026, "amount": money(*fen), "purpose": "检测"}),
            )),
            Op::Approve { application, percent } => pick(&ids.applications, *application).map(|a| {
                let body = match percent {
                    Some(p) => json!({"amount": money((10_000 * p).max(1))}),
                    None => json!({}),
                };
                (format!("/api/v1/applications/{a}/approve"), jx.token.clone(), body)
            }),
            Op::Reject { application } => pick(&ids.applications, *application).map(|a| {
                (format!("/api/v1/applications/{a}/reject"), jx.token.clone(), json!({"reason": "不符合条件"}))
            }),
            Op::Hold { voucher, provider, fen, contract_percent } => {
                pick(&ids.vouchers, *voucher).map(|(v, holder)| {
                    let contract = fen * contract_percent / 100;
                    (
                        "/api/v1/redemptions".into(),
                        companies[holder as usize].token.clone(),
                        json!({"voucher_id": v, "provider_id": providers[*provider].id,
                            "contract_no": format!("P-{step}"), "contract_amount": money(contract.max(1)),
                            "service_category": "testing", "amount": money(*fen)}),
                    )
                })
            }
            Op::Complete { redemption, percent } => pick(&ids.redemptions, *redemption).map(|(r, p)| {
                let body = match percent {
                    Some(pc) => json!({"amount": money((pc * 1000).max(1))}),
                    None => json!({}),
                };
                (format!("/api/v1/redemptions/{r}/complete"), providers[p as usize].token.clone(), body)
            }),
            Op::Cancel { redemption, by_provider } => {
                pick(&ids.redemptions, *redemption).map(|(r, p)| {
                    let token = if *by_provider {
                        providers[p as usize].token.clone()
                    } else {
                        // Whoever holds it; a stranger is refused (404).
                        companies[step % 2].token.clone()
                    };
                    (format!("/api/v1/redemptions/{r}/cancel"), token, json!({}))
                })
            }
            Op::Claim { provider, redemptions } => {
                let chosen: Vec<String> = redemptions
                    .iter()
                    .filter_map(|n| pick(&ids.redemptions, *n).map(|(r, _)| r))
                    .collect();
                (!chosen.is_empty()).then(|| {
                    (
                        "/api/v1/claims".into(),
                        providers[*provider].token.clone(),
                        json!({"redemption_ids": chosen, "invoice_no": format!("INV-{step}")}),
                    )
                })
            }
            Op::Decide { claim, action } => pick(&ids.claims, *claim).map(|c| {
                let (what, body) = match action {
                    0 => ("approve", json!({})),
                    1 => ("reject", json!({"reason": "材料不全"})),
                    _ => ("pay", json!({"bank_reference": format!("B-{step}")})),
                };
                (format!("/api/v1/claims/{c}/{what}"), jx.token.clone(), body)
            }),
            Op::Revoke { voucher } => pick(&ids.vouchers, *voucher).map(|(v, _)| {
                (format!("/api/v1/vouchers/{v}/revoke"), jx.token.clone(), json!({"reason": "撤销"}))
            }),
            Op::Repeat { .. } => None,
        };
        let before = state(&w).await;
        if let Op::Repeat { step: n } = op {
            let Some(first) = pick(&sent, n) else {
                continue;
            };
            let again = send(&w, &first.path, &first.token, &first.key, &first.body).await;
            assert_eq!(again.0, first.status, "a repeat answers as the first time");
            if first.path != "/api/v1/organizations" {
                assert_eq!(again.1, first.text, "a repeat answers as the first time");
            }
            assert_eq!(state(&w).await, before, "a repeat changes nothing");
            continue;
        }
        let Some((path, token, body)) = request else {
            continue;
        };
        let key = new_key();
        let (status, text, answer) = send(&w, &path, &token, &key, &body).await;
        assert!(status < 500, "{path}: {status} {text}");
        if status >= 400 {
            assert_eq!(
                state(&w).await,
                before,
                "{path} was refused ({status}) but changed something"
            );
        } else {
            let id = answer["id"].as_str().unwrap_or_default().to_owned();
            match &op {
                Op::Apply { .. } => ids.applications.push(id),
                Op::Approve { .. } => {
                    let holder = companies
                        .iter()
                        .position(|c| answer["holder_id"] == c.id.to_string());
                    ids.vouchers.push((id, holder.unwrap_or(0) as i64));
                }
                Op::Hold { provider, .. } => ids.redemptions.push((id, *provider as i64)),
                Op::Claim { .. } => ids.claims.push(id),
                _ => {}
            }
        }
        w.app.assert_invariants().await;
        sent.push(Sent {
            path,
            token,
            key,
            body,
            status,
            text,
        });
    }
    let mut tally: Vec<String> = sent
        .iter()
        .map(|s| format!("{} {}", s.status, s.path.split('/').nth(3).unwrap_or("")))
        .collect();
    tally.sort();
    tally.dedup_by(|a, b| a == b);
    eprintln!("steps answered: {tally:?}");
    let verify = w.get(&jx.token, "/api/v1/audit/verify?region=JX").await;
    assert_eq!(verify.body["ok"], true, "{}", verify.text);
}

async fn send(w: &World, path: &str, token: &str, key: &str, body: &Value) -> (u16, String, Value) {
    let answer = w
        .app
        .send(Req {
            method: "POST",
            path,
            token: Some(token),
            key: Some(key),
            body: Some(body.to_string()),
            content_type: Some(rocket::http::ContentType::JSON),
        })
        .await;
    (answer.status.code, answer.text, answer.body)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 12,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_2026),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_invariant_holds_after_every_step(ops in proptest::collection::vec(op(), 20..60)) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(run(ops));
    }
}
