"""The pure key schedule of a signing zone: how long things last, when each ZSK is published, signs, retires
and goes, and which pre-made DNSKEY signatures cover which time.

ZSK rollover is pre-publication (RFC 6781 §4.1.1.1), as Route 53 does it (Developer Guide, "KMS key and ZSK
management in Route 53"): a successor is published ``publish_lead`` (two DNSKEY TTLs) before it starts
signing, so every cache holds it before any signature made with it; the key it replaces stops signing at
that moment and stays published ``retire_lag`` longer (the validity of its last signature plus the clock
skew allowance), so no cache holds one of its signatures after it is gone. Everything is a function of the
stored times and ``now``: every worker and replica answers the same at the same moment, and only making a
successor (and deleting keys past their removal) writes anything.

DNSKEY RRsets are signed ahead of time in fixed slots (``ksk_slot`` long, aligned to the epoch): one RRSIG
per slot, ``ksk_slots`` (15) slots ahead, each valid from ``skew`` before its slot to one slot after it, so
the one served always has more than a slot to run and a KMS outage leaves the zone valid for 15 slots.

``R53_ZSK_ROLLOVER_SECONDS`` of 7 days or more keeps the production figures below; shorter values (tests)
scale every duration by rollover / 7 days, each at least one second, so a whole rollover runs in seconds.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

DAY = 86_400
DEFAULT_ZSK_ROLLOVER_SECONDS = 14 * DAY  # Route 53 rolls ZSKs every 7-30 days; the middle of that range
PRODUCTION_ROLLOVER_SECONDS = 7 * DAY  # below this, every duration is scaled down (test settings)
DNSKEY_TTL = 3600
CLOCK_SKEW = 3600  # inceptions are backdated by this much
ZSK_SIGNATURE_VALIDITY = 7 * DAY
ZSK_RESIGN_BEFORE = 2 * DAY  # a cached online signature is replaced once less than this is left
KSK_SLOT = DAY
KSK_SLOTS = 15  # Route 53 makes 15 DNSKEY RRSIGs ahead "in case the associated KMS key becomes inaccessible"


@dataclass(frozen=True)
class Timings:
    """Every duration of the schedule, in seconds."""

    zsk_rollover: int
    dnskey_ttl: int
    skew: int
    zsk_signature_validity: int
    zsk_resign_before: int
    ksk_slot: int
    ksk_slots: int = KSK_SLOTS

    @classmethod
    def for_rollover(cls, rollover_seconds: int) -> "Timings":
        """The production figures, scaled down when the rollover period is shorter than 7 days."""
        factor = min(1.0, rollover_seconds / PRODUCTION_ROLLOVER_SECONDS)

        def scaled(seconds: int) -> int:
            return max(1, round(seconds * factor))

        dnskey_ttl, skew = scaled(DNSKEY_TTL), scaled(CLOCK_SKEW)
        timings = cls(
            zsk_rollover=rollover_seconds,
            dnskey_ttl=dnskey_ttl,
            skew=skew,
            zsk_signature_validity=max(scaled(ZSK_SIGNATURE_VALIDITY), 2 * skew),
            zsk_resign_before=scaled(ZSK_RESIGN_BEFORE),
            ksk_slot=max(scaled(KSK_SLOT), dnskey_ttl + skew),
        )
        if timings.publish_lead >= rollover_seconds:
            raise ValueError(f"a rollover period of {rollover_seconds} s is shorter than the publication lead")
        return timings

    @property
    def publish_lead(self) -> int:
        """From a ZSK's publication to its first signature: the DNSKEY TTL, and as much again as margin."""
        return 2 * self.dnskey_ttl

    @property
    def retire_lag(self) -> int:
        """From a ZSK's last signature to its removal from the DNSKEY RRset."""
        return self.zsk_signature_validity + self.skew

    @property
    def retry_interval(self) -> float:
        """How long a zone whose signing could not be brought up to date waits before it is tried again."""
        return min(300.0, self.ksk_slot / 2)

    @property
    def maintenance_interval(self) -> float:
        """How often each process looks for signing zones that need a ZSK or DNSKEY signatures."""
        return min(60.0, self.ksk_slot / 4)


@dataclass(frozen=True)
class KeyTimes:
    """One ZSK's life: published (in the DNSKEY RRset) from ``publish_at`` until ``remove_at``, signing
    from ``activate_at`` until ``retire_at``; None: not yet decided (no successor)."""

    publish_at: float
    activate_at: float
    retire_at: float | None = None
    remove_at: float | None = None

    def published(self, now: float) -> bool:
        return self.publish_at <= now and (self.remove_at is None or now < self.remove_at)

    def signing(self, now: float) -> bool:
        return self.activate_at <= now and (self.retire_at is None or now < self.retire_at)

    def times(self) -> tuple[float, ...]:
        return tuple(t for t in (self.publish_at, self.activate_at, self.retire_at, self.remove_at) if t is not None)


def first_key(now: float) -> KeyTimes:
    """The first ZSK of a zone signs at once: no cache holds a DNSKEY RRset of the zone yet."""
    return KeyTimes(publish_at=now, activate_at=now)


def published(keys: Sequence[KeyTimes], now: float) -> tuple[int, ...]:
    """Indexes of the keys in the DNSKEY RRset at ``now``."""
    return tuple(index for index, key in enumerate(keys) if key.published(now))


def signing_key(keys: Sequence[KeyTimes], now: float) -> int | None:
    """Index of the key that signs at ``now``: of those signing, the one activated last."""
    signing = [index for index, key in enumerate(keys) if key.signing(now) and key.published(now)]
    return max(signing, key=lambda index: keys[index].activate_at, default=None)


def newest(keys: Sequence[KeyTimes]) -> int | None:
    """Index of the key activated last (or to be activated last)."""
    return max(range(len(keys)), key=lambda index: keys[index].activate_at, default=None)


def successor_due_at(keys: Sequence[KeyTimes], timings: Timings) -> float:
    """When the next ZSK must be made: ``publish_lead`` before the newest key's rollover period ends;
    at once (``-inf``) for a zone without keys."""
    index = newest(keys)
    if index is None:
        return -math.inf
    return keys[index].activate_at + timings.zsk_rollover - timings.publish_lead


def successor(keys: Sequence[KeyTimes], now: float, timings: Timings) -> tuple[KeyTimes, int, KeyTimes] | None:
    """When a successor is due at ``now``: its times, the index of the key it replaces and that key's
    times with its retirement and removal decided. A late successor (a zone that did not sign for a
    while) is still published a full ``publish_lead`` before it signs."""
    index = newest(keys)
    if index is None or now < successor_due_at(keys, timings):
        return None
    replaced = keys[index]
    activate = max(replaced.activate_at + timings.zsk_rollover, now + timings.publish_lead)
    new = KeyTimes(publish_at=now, activate_at=activate)
    return new, index, replace(replaced, retire_at=activate, remove_at=activate + timings.retire_lag)


def removed(keys: Sequence[KeyTimes], now: float) -> tuple[int, ...]:
    """Indexes of the keys past their removal, whose rows can go."""
    return tuple(index for index, key in enumerate(keys) if key.remove_at is not None and key.remove_at <= now)


def next_change(keys: Sequence[KeyTimes], now: float) -> float:
    """The first moment after ``now`` at which the DNSKEY RRset or the signing key changes."""
    return min((t for key in keys for t in key.times() if t > now), default=math.inf)


def slot_start(now: float, timings: Timings) -> int:
    return int(now // timings.ksk_slot) * timings.ksk_slot


def horizon(now: float, timings: Timings) -> list[int]:
    """The starts of the DNSKEY signature slots from the one holding ``now``, ``ksk_slots`` of them."""
    first = slot_start(now, timings)
    return [first + index * timings.ksk_slot for index in range(timings.ksk_slots)]


def key_sets_during(keys: Sequence[KeyTimes], start: float, end: float) -> list[tuple[int, ...]]:
    """The distinct sets of published keys (indexes) at some moment of [start, end), in time order."""
    moments = [start, *sorted({t for key in keys for t in (key.publish_at, key.remove_at) if t and start < t < end})]
    sets: list[tuple[int, ...]] = []
    for moment in moments:
        keys_then = published(keys, moment)
        if keys_then not in sets:
            sets.append(keys_then)
    return sets


def ksk_signature_window(slot: int, timings: Timings) -> tuple[int, int]:
    """(inception, expiration) of the DNSKEY RRSIG made for a slot."""
    return slot - timings.skew, slot + 2 * timings.ksk_slot


def online_window(now: float, timings: Timings) -> tuple[int, int, float]:
    """(inception, expiration, reuse until) of an online signature made at ``now``."""
    inception = int(now) - timings.skew
    expiration = inception + timings.zsk_signature_validity
    return inception, expiration, expiration - timings.zsk_resign_before
