"""The audit log: append events to a hash chain, verify it, query it, read it back.

Each entry's `body` is the event envelope's canonical JSON (sorted keys, no
spaces, UTF-8), `body_digest` its sha256, and its `hash` is sha256(prev_hash +
body_digest), prev_hash being the hash of the entry before it (64 zeros for the
first). Changing an entry changes its hash; removing one leaves a gap in `seq` or
a prev_hash that points nowhere. `verify` walks the chain and names the first
entry that breaks it.

When a resident is erased, the bodies of the entries naming them are erased
(emptied), their digests kept, so the chain still verifies; an `audit.payloads_erased`
entry appended then names them, and a body missing without one is named by verify.

Appends are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: a table lock), so the
chain follows append order. An event appended twice is appended once. Events may
arrive in any order: `events` and the analytics read them by when they occurred.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from partanum.events import Event, make_event, read_event, registered_contracts
from services.audit.models import ERASED, GENESIS_HASH, AuditEntry, AuditRef

# The ids an entry names, by kind, as they appear in events' data. The first
# single id present also fills the entry's column of that kind.
REF_KEYS = {
    "item": ("item_id", "replacement_item_id", "released_item_id", "item_ids"),
    "partner": (
        "partner_id",
        "owner_partner_id",
        "to_partner_id",
        "from_partner_id",
        "registered_by_partner_id",
    ),
    "site": ("site_id", "to_site_id", "from_site_id"),
    "resident": ("resident_id",),
}
COLUMN_OF = {
    "item": "item_id",
    "partner": "partner_id",
    "site": "site_id",
    "resident": "resident_id",
}
VERIFY_BATCH = 1000


def canonical(envelope: dict) -> str:
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def chain_hash(prev_hash: str, body_digest: str) -> str:
    return hashlib.sha256((prev_hash + body_digest).encode("utf-8")).hexdigest()


def wire_form(event: Event) -> dict:
    """The envelope of a received event as its producer's make_event built it."""
    schema = registered_contracts()[(event.type, event.version)]
    return {
        "id": str(event.id),
        "type": event.type,
        "version": event.version,
        "occurred_at": event.occurred_at.isoformat(),
        "producer": event.producer,
        "actor": event.actor,
        "data": schema.dump(event.data),
    }


def _ids(value) -> list[int]:
    if value is None:  # most keys, in most events
        return []
    values = value if isinstance(value, list) else [value]
    return [v for v in values if type(v) is int]  # not a bool


# key → (its kind, its rank among that kind's keys)
_REF_KEY = {key: (kind, rank) for kind, keys in REF_KEYS.items() for rank, key in enumerate(keys)}


def _references(data: dict) -> tuple[set[tuple[str, int]], dict[str, int]]:
    """Every (kind, id) the data names, and per kind the single id of its first key
    present; one pass over the data (an append's heaviest step after the commit)."""
    named: set[tuple[str, int]] = set()
    first: dict[str, tuple[int, int]] = {}
    for key, value in data.items():
        known = _REF_KEY.get(key)
        if known is None:
            continue
        kind, rank = known
        ids = _ids(value)
        named.update((kind, ref_id) for ref_id in ids)
        if (
            ids
            and not isinstance(value, list)
            and rank < first.get(kind, (len(REF_KEYS[kind]),))[0]
        ):
            first[kind] = (rank, ids[0])
    return named, {kind: ref_id for kind, (_, ref_id) in first.items()}


def refs(data: dict) -> set[tuple[str, int]]:
    """Every (kind, id) the event's data names."""
    return _references(data)[0]


def indexed_columns(envelope: dict, singles: dict[str, int] | None = None) -> dict:
    """The entry's columns, read from its envelope (`singles`: _references' second half)."""
    if singles is None:
        singles = _references(envelope["data"])[1]
    return {
        "event_id": envelope["id"],
        "type": envelope["type"],
        "producer": envelope["producer"],
        "version": envelope["version"],
        "occurred_at": datetime.fromisoformat(envelope["occurred_at"]),
        "actor": envelope["actor"],
        **{column: singles.get(kind) for kind, column in COLUMN_OF.items()},
    }


def lock(session: Session) -> None:
    """Serialise appends until this transaction ends; SQLite's BEGIN IMMEDIATE already does."""
    if session.get_bind().dialect.name == "postgresql":
        # Conflicts with itself, not with readers: queries go on during an append.
        session.execute(text("LOCK TABLE audit_entries IN SHARE ROW EXCLUSIVE MODE"))


def append(
    session: Session, envelope: dict, recorded_at: datetime | None = None
) -> AuditEntry | None:
    """Append the event at the end of the chain; None if it is there already."""
    appended = append_many(session, [envelope], recorded_at)
    return session.get(AuditEntry, appended[0]) if appended else None


def append_many(
    session: Session, envelopes: list[dict], recorded_at: datetime | None = None
) -> list[int]:
    """Append the events at the end of the chain, in their order, each once: one
    already in the log, or twice in `envelopes`, is skipped. The seqs appended."""
    lock(session)
    ids = [envelope["id"] for envelope in envelopes]
    seen = set(session.scalars(select(AuditEntry.event_id).where(AuditEntry.event_id.in_(ids))))
    head = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    recorded_at = recorded_at or datetime.now(UTC)
    entries, named = [], []
    for envelope in envelopes:
        if envelope["id"] in seen:
            continue
        seen.add(envelope["id"])
        seq += 1
        body = canonical(envelope)
        body_digest = digest(body)
        entry_hash = chain_hash(prev_hash, body_digest)
        named_ids, singles = _references(envelope["data"])
        entries.append(
            {
                "seq": seq,
                "recorded_at": recorded_at,
                "body": body,
                "body_digest": body_digest,
                "prev_hash": prev_hash,
                "hash": entry_hash,
                **indexed_columns(envelope, singles),
            }
        )
        prev_hash = entry_hash
        named.extend(
            {"seq": seq, "kind": kind, "ref_id": ref_id} for kind, ref_id in sorted(named_ids)
        )
    # One statement each (SQLAlchemy batches the rows: insertmanyvalues); Core, as the
    # ORM's bulk path costs more than the rest of an append.
    if entries:
        session.execute(insert(AuditEntry.__table__), entries)
    if named:
        session.execute(insert(AuditRef.__table__), named)
    return [entry["seq"] for entry in entries]


def replay(session: Session, envelopes: Iterable[dict]) -> int:
    """Append events from elsewhere (an export, a replay), each checked against its
    contract; return how many were new. Duplicates and order do not matter."""
    appended, envelopes = 0, iter(envelopes)
    while batch := [wire_form(read_event(envelope)) for envelope in islice(envelopes, 1000)]:
        appended += len(append_many(session, batch))
    return appended


# --- erasing -------------------------------------------------------------------------------

# The records of an erasure keep their bodies: they hold ids only, and say what was erased.
ERASURE_TYPES = ("booking.resident_erased", "audit.payloads_erased")


def erase_payloads(session: Session, resident_id: int, actor: str) -> list[int]:
    """Erase the bodies of the entries naming this resident, keep their digests, and
    append an `audit.payloads_erased` entry naming them; the seqs erased (none: nothing
    appended, so erasing twice changes nothing more)."""
    lock(session)
    seqs = list(
        session.scalars(
            select(AuditEntry.seq)
            .where(
                AuditEntry.seq.in_(
                    select(AuditRef.seq).where(
                        AuditRef.kind == "resident", AuditRef.ref_id == resident_id
                    )
                ),
                AuditEntry.body != ERASED,
                AuditEntry.type.not_in(ERASURE_TYPES),
            )
            .order_by(AuditEntry.seq)
        )
    )
    if not seqs:
        return []
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.seq.in_(seqs))
        .values(body=ERASED)
        .execution_options(synchronize_session=False)
    )
    append(
        session,
        make_event(
            "audit.payloads_erased",
            {"resident_id": resident_id, "seqs": seqs},
            producer="audit",
            actor=actor,
        ),
    )
    return seqs


def _erased_by(session: Session) -> dict[int, int]:
    """{seq of an erased body: seq of the entry recording its erasure}."""
    recorded = session.execute(
        select(AuditEntry.seq, AuditEntry.body).where(
            AuditEntry.type == "audit.payloads_erased", AuditEntry.body != ERASED
        )
    )
    return {erased: seq for seq, body in recorded for erased in json.loads(body)["data"]["seqs"]}


# --- verifying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """The first entry at which the chain breaks, and what is wrong with it."""

    seq: int
    what: str

    def __str__(self):
        return f"entry {self.seq}: {self.what}"


@dataclass(frozen=True)
class Verified:
    count: int
    head_hash: str


def verify(session: Session) -> Problem | None:
    """Walk the whole chain; None if it is intact, else the first bad entry."""
    result = verify_chain(session)
    return result if isinstance(result, Problem) else None


def verify_chain(session: Session) -> Problem | Verified:
    expected_seq, prev_hash = 1, GENESIS_HASH
    erased_by = _erased_by(session)
    while True:
        batch = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.seq >= expected_seq)
            .order_by(AuditEntry.seq)
            .limit(VERIFY_BATCH)
        ).all()
        if not batch:
            return Verified(count=expected_seq - 1, head_hash=prev_hash)
        stored_refs = _refs_between(session, batch[0].seq, batch[-1].seq)
        for entry in batch:
            problem = _check(
                entry,
                expected_seq,
                prev_hash,
                stored_refs.get(entry.seq, set()),
                erased_by.get(entry.seq),
            )
            if problem:
                return problem
            expected_seq, prev_hash = entry.seq + 1, entry.hash


def _refs_between(session: Session, first: int, last: int) -> dict[int, set]:
    found: dict[int, set] = {}
    rows = session.execute(
        select(AuditRef.seq, AuditRef.kind, AuditRef.ref_id).where(
            AuditRef.seq.between(first, last)
        )
    )
    for seq, kind, ref_id in rows:
        found.setdefault(seq, set()).add((kind, ref_id))
    return found


def _check(
    entry: AuditEntry, expected_seq: int, prev_hash: str, stored_refs: set, erasure_seq: int | None
) -> Problem | None:
    if entry.seq != expected_seq:
        missing = (
            f"{expected_seq}"
            if entry.seq == expected_seq + 1
            else f"{expected_seq} to {entry.seq - 1}"
        )
        return Problem(expected_seq, f"removed: entry {missing} is missing from the log")
    if entry.prev_hash != prev_hash:
        return Problem(
            entry.seq,
            "removed or rewritten before it: its prev_hash is not the hash of the entry before it",
        )
    if entry.hash != chain_hash(entry.prev_hash, entry.body_digest):
        return Problem(entry.seq, "altered: its hash does not match its contents")
    if entry.body == ERASED:
        if erasure_seq is None or erasure_seq < entry.seq:
            return Problem(entry.seq, "erased without a recorded erasure: its body is missing")
        return None  # what is left (type, time, ids) can no longer be checked against it
    if digest(entry.body) != entry.body_digest:
        return Problem(entry.seq, "altered: its hash does not match its contents")
    try:
        envelope = json.loads(entry.body)
        columns = indexed_columns(envelope)
        named = refs(envelope["data"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return Problem(entry.seq, "altered: its body is not an event envelope")
    for name, value in columns.items():
        if getattr(entry, name) != value:
            return Problem(entry.seq, f"altered: its {name} does not match its body")
    if stored_refs != named:
        return Problem(entry.seq, "altered: the ids it is found by do not match its body")
    return None


# --- reading ------------------------------------------------------------------------------


def query(session: Session, filters: dict) -> list[AuditEntry]:
    """Entries in log order matching every filter given: item_id, partner_id, site_id
    (any id of that kind the event names), actor, type, from (occurred at or after),
    to (occurred before); a page of `limit` after `offset`, or after seq `after_seq`."""
    statement = select(AuditEntry).order_by(AuditEntry.seq)
    for kind in ("item", "partner", "site"):
        ref_id = filters.get(f"{kind}_id")
        if ref_id is not None:
            statement = statement.where(
                AuditEntry.seq.in_(
                    select(AuditRef.seq).where(AuditRef.kind == kind, AuditRef.ref_id == ref_id)
                )
            )
    if filters.get("actor") is not None:
        statement = statement.where(AuditEntry.actor == filters["actor"])
    if filters.get("type") is not None:
        statement = statement.where(AuditEntry.type == filters["type"])
    if filters.get("from") is not None:
        statement = statement.where(AuditEntry.occurred_at >= filters["from"])
    if filters.get("to") is not None:
        statement = statement.where(AuditEntry.occurred_at < filters["to"])
    if filters.get("after_seq") is not None:
        statement = statement.where(AuditEntry.seq > filters["after_seq"])
    statement = statement.offset(filters.get("offset", 0)).limit(filters.get("limit", 100))
    return list(session.scalars(statement))


def events(session: Session, *, until: datetime | None = None) -> Iterator[dict]:
    """The logged events as their envelopes (as partanum.events.make_event builds
    them), in the order they occurred (then log order); only those that occurred at
    or before `until` if given. Consume it inside the session's transaction."""
    statement = (
        select(AuditEntry.body)
        .where(AuditEntry.body != ERASED)  # erased: gone
        .order_by(AuditEntry.occurred_at, AuditEntry.seq)
    )
    if until is not None:
        statement = statement.where(AuditEntry.occurred_at <= until)
    for body in session.scalars(statement.execution_options(yield_per=1000)):
        yield json.loads(body)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry))
