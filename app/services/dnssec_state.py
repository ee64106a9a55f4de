"""Live DNSSEC state: a KSK whose KMS key stopped being usable shows ``ACTION_NEEDED``, and so does a
signing zone left without a usable ACTIVE key (Route 53 Developer Guide, "Troubleshooting DNSSEC signing").

Only ACTIVE keys are watched: Route 53 signs with those alone. The state is derived from the KMS key each
time it is read, so it shows at once on every replica and clears as soon as the key is repaired.
"""

from collections.abc import Iterable, Mapping
from dataclasses import replace

from app.kms.backend import KmsKeyView
from app.kms.checks import dnssec_key_problem
from app.services.views import DnssecView, KskView

ACTION_NEEDED = "ACTION_NEEDED"


def watched_arns(keys: Iterable[KskView]) -> set[str]:
    """The KMS keys whose state decides the zone's live state."""
    return {key.kms_arn for key in keys if key.status == "ACTIVE"}


def effective_key(key: KskView, kms_views: Mapping[str, KmsKeyView], zone_account: str | None = None) -> KskView:
    if key.status != "ACTIVE":
        return key
    problem = dnssec_key_problem(key.kms_arn, kms_views.get(key.kms_arn), zone_account)
    return key if problem is None else replace(key, status=ACTION_NEEDED, status_message=problem)


def effective_dnssec(
    serve_signature: str, keys: Iterable[KskView], kms_views: Mapping[str, KmsKeyView], zone_account: str | None = None
) -> DnssecView:
    """The zone's GetDNSSEC view with every key's live status, for a zone of ``zone_account``."""
    live = tuple(effective_key(key, kms_views, zone_account) for key in keys)
    if serve_signature == "SIGNING" and not any(key.status == "ACTIVE" for key in live):
        return DnssecView(
            ACTION_NEEDED,
            "DNSSEC signing is enabled but no ACTIVE key-signing key can be used; "
            "see the StatusMessage of each key-signing key.",
            live,
        )
    return DnssecView(serve_signature, None, live)
