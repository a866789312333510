"""The hash chain's linking and verifying, on plain rows; the audit log and the exchange's message
log test it on their tables (security/tests/test_audit.py, exchange/tests/test_jobs.py)."""

import json
from types import SimpleNamespace

from core.hash_chain import GENESIS_HASH, ChainStart, HashChain, Vouched


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


def test_rows_up_to_the_marker_are_plain_and_after_it_keyed():
    plain, keyed = chain(), chain(b"secret-key")
    rows = linked(plain, "a", "b")
    previous = rows[-1].hash
    for number, text in ((3, "marker"), (4, "c")):
        row = SimpleNamespace(pk=number, text=text, prev_hash=previous)
        row.hash = previous = keyed.hash_of(row)
        rows.append(row)
    boundary = HashChain(model=None, lock_id=1, canonical=canonical, key=lambda: b"secret-key", keyed_after=lambda: 2)
    assert boundary.verify(rows).intact
    # A keyed row recomputed with plain SHA-256 (no key) does not pass for one.
    rows[3].text = "C"
    rows[3].hash = plain.hash_of(rows[3])
    assert boundary.verify(rows).broken_id == 4


def test_what_a_checkpoint_vouches_for_is_held_against_the_rows():
    keyed = chain(b"secret-key")
    rows = linked(keyed, "a", "b", "c")
    vouched = [Vouched(position=2, hash=rows[1].hash, count=2, label="checkpoint of noon")]
    assert keyed.verify(rows, vouched=vouched).intact
    # Shortened below the checkpoint: nothing to point at, the position that is missing is named.
    report = keyed.verify(rows[:1], vouched=vouched)
    assert (report.intact, report.missing_id, "vouches for 2 events" in report.reason) == (False, 2, True)
    # Rewritten from the second row on with the key: consistent in itself, but not what was vouched for.
    forged = linked(keyed, "a", "B", "c")
    report = keyed.verify(forged, vouched=vouched)
    assert (report.broken_id, "rewritten" in report.reason) == (2, True)


def test_a_chain_continues_from_its_archive():
    keyed = chain(b"secret-key")
    rows = linked(keyed, "a", "b", "c")
    start = ChainStart(position=1, hash=rows[0].hash, count=1)
    assert keyed.verify(rows[1:], start=start).intact
    assert keyed.verify(rows[2:], start=start).broken_id == 3
