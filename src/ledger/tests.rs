use super::*;

fn sh() -> Region {
    Region::parse("SH").unwrap()
}

#[test]
fn account_ids_are_stable_and_distinct() {
    let budget = AccountRef::of(&sh(), 2026, AccountKind::Budget);
    assert_eq!(
        budget.id(),
        AccountRef::of(&sh(), 2026, AccountKind::Budget).id()
    );
    assert_ne!(
        budget.id(),
        AccountRef::of(&sh(), 2025, AccountKind::Budget).id()
    );
    let v = Uuid::now_v7();
    assert_ne!(
        AccountRef::owned(&sh(), 2026, AccountKind::Voucher, v).id(),
        AccountRef::owned(&sh(), 2026, AccountKind::Hold, v).id()
    );
}

#[test]
fn transfers_must_balance() {
    let a = AccountRef::of(&sh(), 2026, AccountKind::Outside);
    let b = AccountRef::of(&sh(), 2026, AccountKind::Budget);
    let ok = Transfer::between(
        TransferCode::Appropriate,
        a.clone(),
        b.clone(),
        Money::from_fen(5),
    );
    assert!(validate(&ok).is_ok());
    let mut bad = ok.clone();
    bad.legs[1].1 = Money::from_fen(4);
    assert!(validate(&bad).is_err());
    let mut one_leg = ok.clone();
    one_leg.legs.pop();
    assert!(validate(&one_leg).is_err());
    let mut other_year = ok;
    other_year.legs[1].0.year = 2025;
    assert!(validate(&other_year).is_err());
}
