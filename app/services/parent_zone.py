"""Route 53's guards on the chain of trust when a zone's parent is a hosted zone of this service (of any account:
the parent is the zone a resolver reaches, as on AWS where the check follows public DNS):
DeactivateKeySigningKey and DisableHostedZoneDNSSEC answer KeySigningKeyInParentDSRecord while the parent
publishes a DS for the key, and EnableHostedZoneDNSSEC answers HostedZonePartiallyDelegated while the parent
delegates to only some of the zone's name servers (Route 53 API Reference; Developer Guide, "Disabling DNSSEC
signing").

The parent is the public hosted zone that a resolver reaches one level up: of the public zones whose name is a
proper ancestor of the zone's, the longest, the oldest first among zones of one name, whatever their account
(the DNS listener's choice). The checks read the parent's record sets at the zone's name; they run inside the
zone's write, but the parent is not locked (a DS written to the parent at the same moment may go unseen).
"""

import base64
from dataclasses import dataclass

import dns.dnssec
import dns.exception
import dns.name
import dns.rdtypes.ANY.DS
import dns.rdtypes.ANY.NS
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dnssec.records import ALGORITHM, FLAG_KSK
from app.dnssec.zsk import dnskey_rdata
from app.errors import HostedZonePartiallyDelegated, KeySigningKeyInParentDSRecord
from app.records.names import parse_name
from app.records.values import ValueRefused, to_rdata
from app.services.rows import ZONE_TABLE, KeyRow, ZoneRow, read_names


@dataclass(frozen=True)
class ParentRecords:
    """The parent hosted zone and what it publishes at the child's name."""

    name: str
    ds: tuple[dns.rdtypes.ANY.DS.DS, ...]
    name_servers: frozenset[dns.name.Name]


def proper_ancestors(zone_name: str) -> list[str]:
    """``a.b.example.com.`` → ``b.example.com.``, ``example.com.``, ``com.`` (the root is no hosted zone)."""
    labels = zone_name.rstrip(".").split(".")
    return [".".join(labels[index:]) + "." for index in range(1, len(labels))]


async def parent_records(session: AsyncSession, zone: ZoneRow) -> ParentRecords | None:
    """The parent hosted zone's DS and NS at the zone's name, or None when no hosted zone here is its parent."""
    candidates = proper_ancestors(zone.name)
    if not candidates:
        return None
    table = ZONE_TABLE.c
    parent = (
        await session.execute(
            select(table.id, table.name)
            .where(table.name.in_(candidates), table.vpc_id.is_(None))
            .order_by(func.length(table.name).desc(), table.created_at, table.id)
            .limit(1)
        )
    ).first()
    if parent is None:
        return None
    sort_key = parse_name(zone.name).sort_key
    at_name = (await read_names(session, {parent.id: [sort_key]}))[parent.id].get(sort_key, {})
    ds: list[dns.rdtypes.ANY.DS.DS] = []
    name_servers: set[dns.name.Name] = set()
    for (type_, _), record in at_name.items():
        for value in record.values:
            try:
                rdata = to_rdata(type_, value)
            except ValueRefused:
                continue
            if isinstance(rdata, dns.rdtypes.ANY.DS.DS):
                ds.append(rdata)
            elif isinstance(rdata, dns.rdtypes.ANY.NS.NS):
                name_servers.add(rdata.target.canonicalize())
    return ParentRecords(parent.name, tuple(ds), frozenset(name_servers))


def ds_names_key(ds: dns.rdtypes.ANY.DS.DS, zone_name: str, key: KeyRow) -> bool:
    """True when the DS record is the digest of this KSK's DNSKEY under the zone's name (RFC 4034 §5.1.4;
    any digest type dnspython computes: SHA-1, SHA-256, SHA-384)."""
    if ds.key_tag != key.key_tag or ds.algorithm != ALGORITHM:
        return False
    dnskey = dnskey_rdata(FLAG_KSK, base64.b64decode(key.public_key))
    try:
        expected = dns.dnssec.make_ds(dns.name.from_text(zone_name), dnskey, ds.digest_type)
    except (dns.exception.UnsupportedAlgorithm, ValueError):
        return False
    return expected.digest == ds.digest


async def refuse_parent_ds(session: AsyncSession, zone: ZoneRow, keys: list[KeyRow], disabling: bool) -> None:
    """KeySigningKeyInParentDSRecord when the parent hosted zone has a DS for one of ``keys``."""
    parent = await parent_records(session, zone)
    if parent is None:
        return
    key = next((key for key in keys if any(ds_names_key(ds, zone.name, key) for ds in parent.ds)), None)
    if key is None:
        return
    if disabling:
        message = (
            f"Disabling DNSSEC in hosted zone '{zone.name}' will break the authentication chain: its parent "
            f"zone '{parent.name}' has a DS record for the key-signing key '{key.name}'. Remove the DS record "
            "from the parent zone, and then try again."
        )
    else:
        message = (
            f"Deactivating the key-signing key '{key.name}' will break the authentication chain of hosted zone "
            f"'{zone.name}': its parent zone '{parent.name}' has a DS record for it. Remove the DS record from "
            "the parent zone, and then try again."
        )
    raise KeySigningKeyInParentDSRecord(message)


async def refuse_partial_delegation(session: AsyncSession, zone: ZoneRow) -> None:
    """HostedZonePartiallyDelegated when the parent hosted zone's NS at the zone's name share some, but not
    all, name servers with the zone's own apex NS. A parent delegating elsewhere entirely (another provider,
    another hosted zone of the same name) or not at all does not stop signing: the zone is simply not in use."""
    parent = await parent_records(session, zone)
    if parent is None or not parent.name_servers:
        return
    sort_key = parse_name(zone.name).sort_key
    apex = (await read_names(session, {zone.id: [sort_key]}))[zone.id].get(sort_key, {})
    own = {
        rdata.target.canonicalize()
        for (type_, _), record in apex.items()
        if type_ == "NS"
        for value in record.values
        if isinstance(rdata := to_rdata("NS", value), dns.rdtypes.ANY.NS.NS)
    }
    if parent.name_servers & own and parent.name_servers != own:
        raise HostedZonePartiallyDelegated(
            f"The name servers of hosted zone '{zone.name}' don't match the name servers its parent zone "
            f"'{parent.name}' delegates it to. The hosted zone and parent must have the same name servers."
        )
