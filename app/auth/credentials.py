"""The credentials ``R53_AUTH=sigv4`` accepts, from ``R53_CREDENTIALS_FILE``.

One credential a line: ``access_key_id secret_access_key account_id [session_token [expires]]``, fields
separated by spaces or tabs; ``#`` starts a comment; blank lines are skipped. ``expires`` (ISO 8601 with a
zone, e.g. ``2026-12-02T08:00:00Z``) is when the session token stops being valid (``ExpiredToken`` after).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ACCOUNT_ID = re.compile(r"[0-9]{12}")
ACCESS_KEY_ID = re.compile(r"[A-Za-z0-9_+=,.@-]{1,128}")


class CredentialsFileError(ValueError):
    """The file is missing, unreadable, or has a line that is not a credential."""


@dataclass(frozen=True)
class StoredCredential:
    access_key_id: str
    secret_access_key: str
    account_id: str
    session_token: str | None = None
    expires: datetime | None = None


def parse_credentials(text: str, source: str) -> dict[str, StoredCredential]:
    """The credentials of a file's text by access key id; ``source`` names the file in errors."""
    credentials: dict[str, StoredCredential] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        where = f"{source} line {number}"
        if not 3 <= len(fields) <= 5:
            raise CredentialsFileError(
                f"{where}: expected 'access_key_id secret_access_key account_id [session_token [expires]]', "
                f"found {len(fields)} fields"
            )
        access_key, secret, account = fields[:3]
        if not ACCESS_KEY_ID.fullmatch(access_key):
            raise CredentialsFileError(f"{where}: '{access_key}' is not an access key id")
        if not ACCOUNT_ID.fullmatch(account):
            raise CredentialsFileError(f"{where}: the account id must be 12 digits, not '{account}'")
        if access_key in credentials:
            raise CredentialsFileError(f"{where}: access key id '{access_key}' appears twice")
        credentials[access_key] = StoredCredential(
            access_key, secret, account, fields[3] if len(fields) > 3 else None, _expiry(fields, where)
        )
    if not credentials:
        raise CredentialsFileError(f"{source}: no credentials")
    return credentials


def _expiry(fields: list[str], where: str) -> datetime | None:
    if len(fields) < 5:
        return None
    try:
        expires = datetime.fromisoformat(fields[4])
    except ValueError:
        expires = None
    if expires is None or expires.tzinfo is None:
        raise CredentialsFileError(f"{where}: expires must be an ISO 8601 time with a zone, not '{fields[4]}'")
    return expires


def load_credentials(path: Path | None) -> dict[str, StoredCredential]:
    """The credentials of ``path``; ``CredentialsFileError`` when it is unset, unreadable or invalid."""
    if path is None:
        raise CredentialsFileError("R53_AUTH=sigv4 needs R53_CREDENTIALS_FILE (one credential a line)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CredentialsFileError(f"cannot read {path}: {error}") from error
    return parse_credentials(text, str(path))
