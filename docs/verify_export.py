#!/usr/bin/env python3
"""Verify an exported audit trail of the voucher ledger, independently of it.

Usage: python3 verify_export.py FILE.jsonl

FILE is the JSON Lines export of one region (`voucher-ledger export-audit`
or GET /api/v1/audit/events/export?format=jsonl). Written from
docs/audit-format.md alone, with the standard library only. It prints
"head SEQ HASH" and exits 0 when every line verifies, else prints
"bad line N" (with the reason) and exits 1.
"""

import hashlib
import json
import re
import sys
import uuid

GENESIS = "0" * 64
ACCOUNT_NAMESPACE = uuid.UUID("6f1c2a53-9d4e-4b0a-8e61-5a7c3e2d9b10")
TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|\+00:00)$")


class Bad(Exception):
    pass


def canonical(value):
    """Compact JSON, keys sorted at every depth, non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def hashed_time(text):
    """The event time as hashed: UTC, exactly six fractional digits, Z."""
    m = TIME.match(text)
    if not m:
        raise Bad(f"occurred_at {text!r} is not an RFC 3339 UTC time")
    fraction = (m.group(2) or "")[:6].ljust(6, "0")
    return f"{m.group(1)}.{fraction}Z"


def account_id(region, year, kind, owner=""):
    return uuid.uuid5(ACCOUNT_NAMESPACE, f"{region}/{year}/{kind}/{owner}")


def yuan(fen):
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def verify(lines):
    """Yields nothing; returns (region, head_seq, head_hash) or raises Bad(line, why)."""
    region, seq, last_hash = None, 0, GENESIS
    balances, transfer_ids = {}, set()
    for number, text in enumerate(lines, start=1):
        try:
            e = json.loads(text)
            region = region or e["region"]
            if e["region"] != region:
                raise Bad(f"an event of {e['region']} in a trail of {region}")
            if e["seq"] != seq + 1:
                raise Bad(f"seq {e['seq']} where {seq + 1} was expected")
            if e["prev_hash"] != last_hash:
                raise Bad("prev_hash is not the previous event's hash")
            actor = {k: e["actor"][k] for k in ("sub", "role", "region")}
            if e["actor"].get("via") is not None:
                actor["via"] = e["actor"]["via"]
            hashed = {
                "v": 1,
                "region": e["region"],
                "seq": e["seq"],
                "id": e["id"],
                "operation_id": e["operation_id"],
                "occurred_at": hashed_time(e["occurred_at"]),
                "actor": actor,
                "action": e["action"],
                "entity_type": e["entity_type"],
                "entity_id": e["entity_id"],
                "request_id": e.get("request_id"),
                "idempotency_key": e.get("idempotency_key"),
                "payload": e["payload"],
                "prev_hash": e["prev_hash"],
            }
            digest = hashlib.sha256(canonical(hashed).encode("utf-8")).hexdigest()
            if digest != e["hash"]:
                raise Bad(f"hash {e['hash']} recorded, {digest} recomputed")
            for t in e["payload"].get("transfers", []):
                if t["id"] in transfer_ids:
                    raise Bad(f"transfer {t['id']} is recorded twice")
                transfer_ids.add(t["id"])
                legs = t["legs"]
                if len(legs) < 2 or sum(leg["amount_fen"] for leg in legs) != 0:
                    raise Bad(f"the legs of transfer {t['id']} do not balance")
                outside = str(account_id(region, t["year"], "outside"))
                for leg in legs:
                    account = leg["account_id"]
                    balances[account] = balances.get(account, 0) + leg["amount_fen"]
                    if balances[account] < 0 and account != outside:
                        raise Bad(f"transfer {t['id']} takes account {account} below zero")
            if e["entity_type"] == "voucher":
                p = e["payload"]
                for field, kind in (("available", "voucher"), ("held", "hold")):
                    account = str(account_id(region, p["year"], kind, p["id"]))
                    if p[field] != yuan(balances.get(account, 0)):
                        raise Bad(f"voucher {p['id']}: {field} differs from its account's legs")
        except Bad as why:
            raise Bad(number, str(why))
        except (KeyError, TypeError, ValueError, AttributeError) as why:
            raise Bad(number, f"not an event: {why!r}")
        seq, last_hash = e["seq"], e["hash"]
    return region, seq, last_hash, len(balances)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    try:
        region, seq, head, accounts = verify(lines)
    except Bad as bad:
        line, why = bad.args
        print(f"FAILED: line {line}: {why}")
        print(f"bad line {line}")
        return 1
    print(f"ok: {seq} events of {region or '-'}, {accounts} accounts never below zero")
    print(f"head {seq} {head if seq else '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
