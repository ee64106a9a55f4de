"""A signed parent hosted zone and its signed child: the chain of trust from the parent's DS through the DS
records in the parent to the child's answers, a KSK rollover in the right order, and Route 53's guards
against the wrong one (KeySigningKeyInParentDSRecord) and against partial delegation."""

import time

import dns.dnssec
import dns.name
import dns.rrset
import httpx
from fastapi import FastAPI

from tests.kms_keys import make_key
from tests.signing import (
    SignedZone,
    answer,
    change,
    create_ksk,
    get_dnssec,
    material,
    new_zone,
    post,
    record,
    signing_zone,
    trusted_keys,
    validate_sections,
)
from tests.wire import assert_error, parse


async def name_servers(client: httpx.AsyncClient, zone_id: str) -> list[str]:
    zone = parse("GetHostedZone", await client.get(f"/2013-04-01/hostedzone/{zone_id}"))
    return [server + "." for server in zone["DelegationSet"]["NameServers"]]


async def delegate(client: httpx.AsyncClient, parent: SignedZone, child_id: str, *ds: str) -> None:
    """The parent's NS (the child's own name servers) and DS records for the child."""
    changes = [record("child.example.com", "NS", 300, *await name_servers(client, child_id))]
    if ds:
        changes.append(record("child.example.com", "DS", 300, *ds))
    await change(client, parent.zone_id, *changes)


async def chain_validates(app: FastAPI, parent: SignedZone, child: SignedZone) -> None:
    """From the parent's DS (GetDNSSEC) to an answer of the child, as a validating resolver walks it."""
    now = time.time()
    parent_material = await material(app, parent.zone_id, now)
    assert parent_material is not None
    parent_keys = trusted_keys(parent, parent_material, now)
    ds_answer = await answer(app, parent.zone_id, "child.example.com.", "DS", now)
    validate_sections(ds_answer, parent_keys, now)
    ds_rrset = ds_answer.answer[0]
    child_material = await material(app, child.zone_id, now)
    assert child_material is not None
    anchored = [
        key
        for key in child_material.dnskey
        if key.flags == 257 and dns.dnssec.make_ds(child.name, key, "SHA256") in ds_rrset
    ]
    assert anchored, "no DS in the parent names a KSK of the child's DNSKEY RRset"
    for key in anchored:  # each key the parent vouches for signs the child's DNSKEY RRset
        single = dns.rrset.from_rdata(child.name, 3600, key)
        dns.dnssec.validate(child_material.dnskey, child_material.dnskey_rrsigs, {child.name: single}, now=now)
    keys = {child.name: child_material.dnskey}
    validate_sections(await answer(app, child.zone_id, "www.child.example.com.", "A", now), keys, now)
    validate_sections(await answer(app, child.zone_id, "nx.child.example.com.", "A", now), keys, now)


async def test_a_chain_of_trust_from_the_parent_through_a_ksk_rollover(app: FastAPI, client: httpx.AsyncClient) -> None:
    parent = await signing_zone(app, client, "example.com")
    child = await signing_zone(app, client, "child.example.com")
    await change(client, child.zone_id, record("www.child.example.com", "A", 60, "192.0.2.7"))
    await delegate(client, parent, child.zone_id, child.ksk["DSRecord"])
    await chain_validates(app, parent, child)

    second = await create_ksk(client, child.zone_id, await make_key(app), "ksk_two")
    await chain_validates(app, parent, child)
    path = f"keysigningkey/{child.zone_id}/ksk_one/deactivate"
    early = await post(client, path)
    assert_error(
        early,
        400,
        "KeySigningKeyInParentDSRecord",
        "Deactivating the key-signing key 'ksk_one' will break the authentication chain of hosted zone "
        "'child.example.com.': its parent zone 'example.com.' has a DS record for it. Remove the DS record from "
        "the parent zone, and then try again.",
    )
    await delegate(client, parent, child.zone_id, child.ksk["DSRecord"], second["DSRecord"])
    await chain_validates(app, parent, child)
    await delegate(client, parent, child.zone_id, second["DSRecord"])
    await chain_validates(app, parent, child)
    assert (await post(client, path)).status_code == 200
    assert (await client.delete(f"/2013-04-01/keysigningkey/{child.zone_id}/ksk_one")).status_code == 200
    await chain_validates(app, parent, child)
    dnssec = await get_dnssec(client, child.zone_id)
    assert [key["Name"] for key in dnssec["KeySigningKeys"]] == ["ksk_two"]


async def test_disabling_signing_waits_for_the_parent_ds_to_go(app: FastAPI, client: httpx.AsyncClient) -> None:
    parent = await signing_zone(app, client, "example.com")
    child = await signing_zone(app, client, "child.example.com")
    await delegate(client, parent, child.zone_id, "11111 13 2 " + "00" * 32, child.ksk["DSRecord"])
    response = await post(client, f"hostedzone/{child.zone_id}/disable-dnssec")
    assert_error(
        response,
        400,
        "KeySigningKeyInParentDSRecord",
        "Disabling DNSSEC in hosted zone 'child.example.com.' will break the authentication chain: its parent zone "
        "'example.com.' has a DS record for the key-signing key 'ksk_one'. Remove the DS record from the parent "
        "zone, and then try again.",
    )
    await delegate(client, parent, child.zone_id, "11111 13 2 " + "00" * 32)  # a DS for no key of the child
    assert (await post(client, f"hostedzone/{child.zone_id}/disable-dnssec")).status_code == 200


async def test_only_the_nearest_parent_and_a_matching_digest_count(app: FastAPI, client: httpx.AsyncClient) -> None:
    grandparent = await signing_zone(app, client, "com")
    parent = await signing_zone(app, client, "example.com")
    child = await signing_zone(app, client, "child.example.com")
    await change(
        client, grandparent.zone_id, record("child.example.com", "DS", 300, child.ksk["DSRecord"])
    )  # not the parent: a resolver never asks com. for child.example.com.'s DS
    tag, algorithm, digest_type, digest = child.ksk["DSRecord"].split()
    wrong_digest = f"{tag} {algorithm} {digest_type} {'0' * len(digest)}"
    await delegate(client, parent, child.zone_id, wrong_digest)
    assert (await post(client, f"keysigningkey/{child.zone_id}/ksk_one/deactivate")).status_code == 400  # last key
    assert (await post(client, f"hostedzone/{child.zone_id}/disable-dnssec")).status_code == 200


async def test_enabling_refuses_a_partial_delegation(app: FastAPI, client: httpx.AsyncClient) -> None:
    parent = await signing_zone(app, client, "example.com")
    child_id = await new_zone(client, "child.example.com")
    await create_ksk(client, child_id, await make_key(app), "ksk_one")
    servers = await name_servers(client, child_id)
    await change(client, parent.zone_id, record("child.example.com", "NS", 300, *servers[:2], "ns.elsewhere.example."))
    response = await post(client, f"hostedzone/{child_id}/enable-dnssec")
    assert_error(
        response,
        400,
        "HostedZonePartiallyDelegated",
        "The name servers of hosted zone 'child.example.com.' don't match the name servers its parent zone "
        "'example.com.' delegates it to. The hosted zone and parent must have the same name servers.",
    )
    await change(
        client, parent.zone_id, record("child.example.com", "NS", 300, "ns1.other.example.", "ns2.other.example.")
    )
    assert (await post(client, f"hostedzone/{child_id}/enable-dnssec")).status_code == 200  # delegated elsewhere
    assert (await post(client, f"hostedzone/{child_id}/disable-dnssec")).status_code == 200
    await change(client, parent.zone_id, record("child.example.com", "NS", 300, *reversed(servers)))
    assert (await post(client, f"hostedzone/{child_id}/enable-dnssec")).status_code == 200  # fully delegated
