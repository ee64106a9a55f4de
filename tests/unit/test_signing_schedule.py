"""The pure key schedule (app.dnssec.schedule): durations, every phase boundary of a pre-publication ZSK
rollover, the invariants that keep validation unbroken, DNSKEY signature slots."""

import math

import pytest

from app.dnssec import schedule
from app.dnssec.schedule import DAY, KeyTimes, Timings

PRODUCTION = Timings.for_rollover(14 * DAY)


def test_production_durations() -> None:
    expected = Timings(
        zsk_rollover=14 * DAY,
        dnskey_ttl=3600,
        skew=3600,
        zsk_signature_validity=7 * DAY,
        zsk_resign_before=2 * DAY,
        ksk_slot=DAY,
        ksk_slots=15,
    )
    assert expected == PRODUCTION
    assert (PRODUCTION.publish_lead, PRODUCTION.retire_lag) == (7200, 7 * DAY + 3600)
    assert Timings.for_rollover(7 * DAY).dnskey_ttl == Timings.for_rollover(30 * DAY).dnskey_ttl == 3600


@pytest.mark.parametrize("rollover", [10, 11, 20, 60, 600, 3600, 86400, 6 * DAY, 7 * DAY, 30 * DAY, 365 * DAY])
def test_every_rollover_period_keeps_the_invariants(rollover: int) -> None:
    timings = Timings.for_rollover(rollover)
    assert timings.publish_lead < rollover
    assert timings.ksk_slot >= timings.dnskey_ttl + timings.skew  # a served DNSKEY RRSIG outlives its TTL
    assert timings.zsk_signature_validity > timings.skew
    assert timings.retire_lag >= timings.zsk_signature_validity
    assert timings.zsk_resign_before < timings.zsk_signature_validity - timings.skew


def test_short_periods_scale_every_duration() -> None:
    assert Timings.for_rollover(20) == Timings(20, 1, 1, 20, 6, 3)
    with pytest.raises(ValueError):
        Timings.for_rollover(2)


def test_the_first_key_signs_at_once() -> None:
    keys = [schedule.first_key(1000.0)]
    assert schedule.published(keys, 999.9) == ()
    assert schedule.signing_key(keys, 999.9) is None
    assert schedule.published(keys, 1000.0) == (0,)
    assert schedule.signing_key(keys, 1000.0) == 0
    assert schedule.successor_due_at([], PRODUCTION) == -math.inf
    assert schedule.successor_due_at(keys, PRODUCTION) == 1000 + 14 * DAY - 7200


def test_every_phase_boundary_of_a_rollover() -> None:
    timings, start = PRODUCTION, 1_000_000.0
    first = schedule.first_key(start)
    due = start + 14 * DAY - 7200
    assert schedule.successor([first], due - 0.001, timings) is None
    new, replaced, retired = schedule.successor([first], due, timings) or pytest.fail("no successor when due")
    activate = start + 14 * DAY
    assert new == KeyTimes(publish_at=due, activate_at=activate)
    assert replaced == 0
    assert retired == KeyTimes(start, start, retire_at=activate, remove_at=activate + 7 * DAY + 3600)
    keys = [retired, new]
    phases = [  # (moment, published, signing)
        (due - 0.001, (0,), 0),
        (due, (0, 1), 0),
        (activate - 0.001, (0, 1), 0),
        (activate, (0, 1), 1),
        (activate + 7 * DAY + 3600 - 0.001, (0, 1), 1),
        (activate + 7 * DAY + 3600, (1,), 1),
    ]
    for moment, published, signing in phases:
        assert schedule.published(keys, moment) == published, moment
        assert schedule.signing_key(keys, moment) == signing, moment
    assert schedule.next_change(keys, due - 1) == due
    assert schedule.next_change(keys, due) == activate
    assert schedule.next_change(keys, activate) == activate + 7 * DAY + 3600
    assert schedule.next_change(keys, activate + 7 * DAY + 3600) == math.inf
    assert schedule.removed(keys, activate + 7 * DAY + 3599) == ()
    assert schedule.removed(keys, activate + 7 * DAY + 3600) == (0,)
    assert schedule.successor(keys, due + 1, timings) is None  # the successor is the newest key now


def test_a_late_successor_still_gets_its_full_publication_lead() -> None:
    first = schedule.first_key(0.0)
    late = 40 * DAY  # the zone did not sign for a while
    new, _, retired = schedule.successor([first], late, PRODUCTION) or pytest.fail("no successor")
    assert new.activate_at == late + PRODUCTION.publish_lead
    assert retired.retire_at == new.activate_at


@pytest.mark.parametrize("rollover", [10, 20, 3600, 7 * DAY, 14 * DAY])
def test_no_moment_breaks_validation_over_many_rollovers(rollover: int) -> None:
    """Walk four rollovers in steps of a hundredth of the period: the signing key was published a DNSKEY TTL
    before it signs (unless it is the first), and every key whose signatures can still be valid (made
    within their validity) is still published."""
    timings = Timings.for_rollover(rollover)
    keys = [schedule.first_key(0.0)]
    last_signed: dict[int, float] = {}
    step = rollover / 100
    for index in range(400):
        now = index * step
        planned = schedule.successor(keys, now, timings)
        if planned is not None:
            new, replaced, retired = planned
            keys[replaced] = retired
            keys.append(new)
        signing = schedule.signing_key(keys, now)
        assert signing is not None
        assert signing == 0 or now - keys[signing].publish_at >= timings.dnskey_ttl
        last_signed[signing] = now
        published = schedule.published(keys, now)
        for key, signed_at in last_signed.items():
            if now < signed_at - timings.skew + timings.zsk_signature_validity:
                assert key in published, (now, key)
        assert len(published) <= 3


def test_dnskey_signature_slots() -> None:
    now = 10 * DAY + 5 * 3600
    assert schedule.slot_start(now, PRODUCTION) == 10 * DAY
    assert schedule.horizon(now, PRODUCTION) == [(10 + index) * DAY for index in range(15)]
    inception, expiration = schedule.ksk_signature_window(10 * DAY, PRODUCTION)
    assert (inception, expiration) == (10 * DAY - 3600, 12 * DAY)
    assert expiration - (schedule.slot_start(now, PRODUCTION) + PRODUCTION.ksk_slot) >= PRODUCTION.dnskey_ttl


def test_key_sets_during_a_slot_follow_publication_and_removal() -> None:
    keys = [KeyTimes(0, 0, retire_at=50, remove_at=80), KeyTimes(40, 50)]
    assert schedule.key_sets_during(keys, 0, 30) == [(0,)]
    assert schedule.key_sets_during(keys, 30, 60) == [(0,), (0, 1)]
    assert schedule.key_sets_during(keys, 30, 100) == [(0,), (0, 1), (1,)]
    assert schedule.key_sets_during(keys, 80, 100) == [(1,)]


def test_online_signature_window() -> None:
    inception, expiration, reuse_until = schedule.online_window(1000.7, PRODUCTION)
    assert (inception, expiration) == (1000 - 3600, 1000 - 3600 + 7 * DAY)
    assert reuse_until == expiration - 2 * DAY
