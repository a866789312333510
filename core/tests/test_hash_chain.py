"""The hash chain's linking and verifying, on plain rows; the audit log and the exchange's message
log test it on their tables (security/tests/test_audit.py, exchange/tests/test_jobs.py)."""

import json
from types import SimpleNamespace

from core.hash_chain import GENESIS_HASH, HashChain


def canonical(row) -> bytes:
    return json.dumps({"text": row.text, "prev_hash": row.prev_hash}, sort_keys=True).encode()


def chain(key: bytes | None = None) -> HashChain:
    return HashChain(model=None, lock_id=1, canonical=canonical, key=lambda: key)


def linked(the_chain: HashChain, *texts: str) -> list[SimpleNamespace]:
    rows = [SimpleNamespace(pk=number, text=text) for number, text in enumerate(texts, start=1)]
    previous = GENESIS_HASH
    for row in rows:  # as `link` does after the table's head
        row.prev_hash = previous
        row.hash = previous = the_chain.hash_of(row)
    return rows


def test_an_untouched_chain_is_intact():
    report = chain().verify(linked(chain(), "a", "b", "c"))
    assert (report.intact, report.checked, report.broken_id) == (True, 3, None)


def test_a_changed_row_and_a_removed_row_are_found_where_they_are():
    rows = linked(chain(), "a", "b", "c")
    rows[1].text = "B"
    assert (chain().verify(rows).broken_id, chain().verify(rows).checked) == (2, 1)
    rows = linked(chain(), "a", "b", "c")
    del rows[1]
    report = chain().verify(rows)
    assert (report.broken_id, "link" in report.reason) == (3, True)


def test_a_keyed_chain_cannot_be_recomputed_without_the_key():
    keyed = chain(b"secret-key")
    rows = linked(keyed, "a", "b")
    assert rows[0].hash != linked(chain(), "a")[0].hash
    assert keyed.verify(rows).intact
    # Someone who rewrites a row and recomputes the links, but holds no key, is found.
    forged = linked(chain(b"guessed-key"), "a", "B")
    assert keyed.verify(forged).broken_id == 1


def test_what_the_caller_checks_besides_is_reported():
    rows = linked(chain(), "a", "b")
    report = chain().verify(rows, also=lambda row: "unsigned" if row.text == "b" else "")
    assert (report.broken_id, report.reason) == (2, "unsigned")
