"""Key material at rest: the store's bytes hold no private key in the clear, sealed values do not open in
another row or under another key, the migration seals keys stored before it, and start-up refuses a master key
that does not open the store."""

import asyncio
import base64
import os
import sqlite3
import stat
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import text

from app.config import Settings
from app.db.session import create_engine
from app.kms.service import KEY_SPECS, _new_key_material
from app.migrations import migrate
from app.secrets import (
    KEY_FILE_SUFFIX,
    MasterKeyError,
    SealedValueError,
    Sealer,
    is_sealed,
    kms_key_context,
    master_key,
    sealer,
    zsk_context,
)
from tests.conftest import POSTGRES_URL, ROOT, LiveServer, fresh_database_url
from tests.e2e.helpers import new_kms_key, new_ksk, new_zone

OTHER_KEY = base64.b64encode(b"another master key, 32 bytes...!").decode()
BEFORE_ACCOUNTS = "e1099d16e210"


def private_part(secret: bytes) -> bytes:
    """The private number of a PKCS#8 DER key (EC scalar, RSA private exponent), or the secret itself."""
    try:
        key = serialization.load_der_private_key(secret, password=None)
    except ValueError:
        return secret
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.private_numbers().private_value.to_bytes(32, "big")
    assert isinstance(key, rsa.RSAPrivateKey)
    exponent = key.private_numbers().d
    return exponent.to_bytes((exponent.bit_length() + 7) // 8, "big")


def run_app(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "R53_DATABASE_URL": database_url, **env}
    if "R53_MASTER_KEY" in env and not env["R53_MASTER_KEY"]:
        del environment["R53_MASTER_KEY"]
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_a_sealed_value_opens_only_in_its_own_row_and_under_its_own_key() -> None:
    box = Sealer(os.urandom(32))
    sealed = box.seal(b"private", kms_key_context("k1"))
    assert is_sealed(sealed) and b"private" not in sealed
    assert box.open(sealed, kms_key_context("k1")) == b"private"
    with pytest.raises(SealedValueError):
        box.open(sealed, kms_key_context("k2"))  # moved into another row
    with pytest.raises(SealedValueError):
        Sealer(os.urandom(32)).open(sealed, kms_key_context("k1"))
    assert box.seal(b"private", kms_key_context("k1")) != sealed  # a fresh nonce each time


@pytest.mark.parametrize(
    ("value", "problem"),
    [("not base64!", "not base64"), (base64.b64encode(b"short").decode(), "5 bytes, not 32")],
)
def test_a_malformed_master_key_is_named(value: str, problem: str) -> None:
    with pytest.raises(MasterKeyError, match=problem):
        master_key(Settings(database_url="sqlite+aiosqlite:///x.db", master_key=value))


def test_postgresql_needs_a_configured_master_key() -> None:
    settings = Settings(database_url="postgresql+asyncpg://postgres@127.0.0.1:5432/x", master_key=None)
    with pytest.raises(MasterKeyError, match="R53_MASTER_KEY must be set when the store is PostgreSQL"):
        master_key(settings)


@pytest.mark.skipif(POSTGRES_URL is not None, reason="the key file and the raw bytes are SQLite's")
def test_the_store_holds_no_private_key_in_the_clear(template_database: str, tmp_path: Path) -> None:
    urls = fresh_database_url(template_database, tmp_path)
    url = next(urls)
    server = LiveServer(url, tmp_path).start()
    try:
        route53, kms = server.client("route53"), server.client("kms")
        zone_id = new_zone(route53)
        new_ksk(route53, zone_id, new_kms_key(kms), "ksk")
        route53.enable_hosted_zone_dnssec(HostedZoneId=zone_id)  # makes the zone's first ZSK
        for spec, usage in (("RSA_2048", "SIGN_VERIFY"), ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")):
            kms.create_key(KeySpec=spec, KeyUsage=usage)
    finally:
        server.stop()
    database = Path(url.split(":///", 1)[1])
    key_file = database.with_name(database.name + KEY_FILE_SUFFIX)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    raw = b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*") if path != key_file)
    box = Sealer(base64.b64decode(key_file.read_text()))
    with sqlite3.connect(database) as connection:
        kms_keys = connection.execute("SELECT key_id, private_key FROM kms_key").fetchall()
        zsks = connection.execute("SELECT hosted_zone_id, public_key, private_key FROM zone_signing_key").fetchall()
    secrets = [box.open(stored, kms_key_context(key_id)) for key_id, stored in kms_keys]
    secrets += [box.open(stored, zsk_context(zone, public)) for zone, public, stored in zsks]
    assert len(kms_keys) == 3 and len(zsks) >= 1
    for secret in secrets:
        assert len(secret) >= 32 and secret not in raw
        assert private_part(secret) not in raw  # not even the private number alone
    next(urls, None)


def test_start_up_refuses_a_master_key_that_does_not_open_the_store(template_database: str, tmp_path: Path) -> None:
    urls = fresh_database_url(template_database, tmp_path)
    url = next(urls)
    server = LiveServer(url, tmp_path).start()
    try:
        new_kms_key(server.client("kms"))
    finally:
        server.stop()
    refused = run_app(url, "migrate", R53_MASTER_KEY=OTHER_KEY)
    assert refused.returncode == 2, refused.stderr
    last_line = refused.stderr.splitlines()[-1]
    assert last_line.startswith("route53-dnssec: error: R53_MASTER_KEY does not decrypt the key material stored in ")
    assert last_line.endswith(
        "(the stored value does not open under this master key); start with the master key that sealed it"
    )
    malformed = run_app(url, "migrate", R53_MASTER_KEY="c2hvcnQ=")
    assert (malformed.returncode, malformed.stderr) == (
        2,
        "route53-dnssec: error: R53_MASTER_KEY: 5 bytes, not 32; generate one with `openssl rand -base64 32`\n",
    )
    assert run_app(url, "migrate").returncode == 0  # the right key (the test's, or the key file) still opens it
    next(urls, None)


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL")
def test_start_up_on_postgresql_without_a_master_key_is_refused(template_database: str, tmp_path: Path) -> None:
    urls = fresh_database_url(template_database, tmp_path)
    refused = run_app(next(urls), "migrate", R53_MASTER_KEY="")
    assert refused.returncode == 2
    assert refused.stderr.startswith("route53-dnssec: error: R53_MASTER_KEY must be set when the store is PostgreSQL")
    next(urls, None)


def test_the_migration_seals_the_keys_stored_before_it(empty_database_url: str) -> None:
    settings = Settings(database_url=empty_database_url)
    private_der, public_der = _new_key_material(KEY_SPECS["ECC_NIST_P256"])
    zsk_private, zsk_public = os.urandom(121), os.urandom(64)
    key_id, zone_id = str(uuid.uuid4()), "Z" + uuid.uuid4().hex[:19].upper()

    async def scenario() -> tuple[bytes, bytes, bytes, bytes]:
        await migrate(settings, BEFORE_ACCOUNTS)
        engine = create_engine(settings)
        now = datetime.now(UTC).replace(tzinfo=None)
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO kms_key (key_id, arn, account_id, region, description, key_usage, key_spec, key_state,"
                    " policy, private_key, public_key, creation_date, tags) VALUES (:id, :arn, '123456789012',"
                    " 'us-east-1', '', 'SIGN_VERIFY', 'ECC_NIST_P256', 'Enabled', '{}', :private, :public, :now, '[]')"
                ),
                {
                    "id": key_id,
                    "arn": f"arn:aws:kms:us-east-1:123456789012:key/{key_id}",
                    "private": private_der,
                    "public": public_der,
                    "now": now,
                },
            )
            await connection.execute(
                text(
                    "INSERT INTO hosted_zone (id, name, sort_name, caller_reference, serve_signature, created_at,"
                    " record_set_count, revision) VALUES (:id, 'old.example.', 'example.old.', :id, 'SIGNING', :now,"
                    " 2, 0)"
                ),
                {"id": zone_id, "now": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO zone_signing_key (hosted_zone_id, key_tag, public_key, private_key, publish_at,"
                    " activate_at) VALUES (:zone, 1, :public, :private, :now, :now)"
                ),
                {"zone": zone_id, "public": zsk_public, "private": zsk_private, "now": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO resource_record_set (hosted_zone_id, sort_name, type, set_identifier, document)"
                    " VALUES (:zone, 'example.old.www.', 'A', '', '{}')"
                ),
                {"zone": zone_id},
            )
            await connection.execute(
                text("INSERT INTO hosted_zone_tag (hosted_zone_id, key, value) VALUES (:zone, 'k', 'v')"),
                {"zone": zone_id},
            )
        await migrate(settings)
        async with engine.connect() as connection:
            kept = [
                (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                for table in ("resource_record_set", "hosted_zone_tag", "zone_signing_key")
            ]
            assert kept == [1, 1, 1]  # rebuilding hosted_zone on SQLite took none of its children along
            sealed_kms = (await connection.execute(text("SELECT private_key FROM kms_key"))).scalar_one()
            sealed_zsk = (await connection.execute(text("SELECT private_key FROM zone_signing_key"))).scalar_one()
            accounts = (await connection.execute(text("SELECT account_id FROM hosted_zone"))).scalar_one()
        await migrate_down(settings)
        async with engine.connect() as connection:
            clear_kms = (await connection.execute(text("SELECT private_key FROM kms_key"))).scalar_one()
            clear_zsk = (await connection.execute(text("SELECT private_key FROM zone_signing_key"))).scalar_one()
        await engine.dispose()
        assert accounts == "123456789012"
        return bytes(sealed_kms), bytes(sealed_zsk), bytes(clear_kms), bytes(clear_zsk)

    sealed_kms, sealed_zsk, clear_kms, clear_zsk = asyncio.run(scenario())
    box = sealer(settings)
    assert is_sealed(sealed_kms) and box.open(sealed_kms, kms_key_context(key_id)) == private_der
    assert is_sealed(sealed_zsk) and box.open(sealed_zsk, zsk_context(zone_id, zsk_public)) == zsk_private
    assert (clear_kms, clear_zsk) == (private_der, zsk_private)  # the downgrade opens them again


async def migrate_down(settings: Settings) -> None:
    from alembic import command

    from app.migrations import _sqlite_file_lock, alembic_config

    engine = create_engine(settings, foreign_keys=False)
    with _sqlite_file_lock(settings):
        async with engine.connect() as connection:
            config = alembic_config(settings)

            def down(sync_connection: object) -> None:
                config.attributes["connection"] = sync_connection
                command.downgrade(config, BEFORE_ACCOUNTS)

            await connection.run_sync(down)
            await connection.commit()
    await engine.dispose()
