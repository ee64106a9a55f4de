"""Does a KMS key policy let Route 53 use the key for DNSSEC signing?

Route 53 needs ``kms:DescribeKey``, ``kms:GetPublicKey`` and ``kms:Sign`` as the service principal
``dnssec-route53.amazonaws.com`` (Route 53 Developer Guide, "Customer managed key requirements for DNSSEC";
KMS Developer Guide, "Key policies"). Evaluation follows IAM's rules for the elements used by key policies
(IAM User Guide, "Policy evaluation logic"): an explicit Deny wins over any Allow.
"""

import json
import re
from functools import lru_cache
from typing import Any

SERVICE_PRINCIPALS = frozenset({"dnssec-route53.amazonaws.com", "api-service.dnssec.route53.aws.internal"})
REQUIRED_ACTIONS = ("kms:DescribeKey", "kms:GetPublicKey", "kms:Sign")


@lru_cache(maxsize=4096)
def grants_dnssec_access(policy: str) -> bool:
    """True when the policy allows, and does not deny, every action in ``REQUIRED_ACTIONS`` to Route 53.

    * Principal: ``"*"`` or ``{"Service": name | [names]}`` naming ``dnssec-route53.amazonaws.com`` or the
      legacy ``api-service.dnssec.route53.aws.internal``. ``{"AWS": "*"}`` does not count: it matches every
      AWS account and IAM identity, and a service principal is neither. ``NotPrincipal`` applies to every
      principal it does not name.
    * Action / NotAction: a string or a list; IAM wildcards ``*`` and ``?``, compared case-insensitively.
    * Resource is not required (it always means this key in a key policy).
    * Condition blocks count as satisfied: Route 53 meets the documented ``aws:SourceAccount`` and
      ``aws:SourceArn`` conditions. A conditional Deny therefore denies.

    A policy that is not a JSON object with statements grants nothing.
    """
    try:
        document = json.loads(policy)
    except ValueError:
        return False
    if not isinstance(document, dict):
        return False
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return False
    relevant = [s for s in statements if isinstance(s, dict) and _applies_to_route53(s)]
    allows = [s for s in relevant if s.get("Effect") == "Allow"]
    denies = [s for s in relevant if s.get("Effect") == "Deny"]
    return all(
        any(_covers(s, action) for s in allows) and not any(_covers(s, action) for s in denies)
        for action in REQUIRED_ACTIONS
    )


def _applies_to_route53(statement: dict[str, Any]) -> bool:
    if "Principal" in statement:
        return _names_route53(statement["Principal"])
    if "NotPrincipal" in statement:
        return not _names_route53(statement["NotPrincipal"])
    return False


def _names_route53(principal: Any) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(name in SERVICE_PRINCIPALS for name in _strings(principal.get("Service")))


def _covers(statement: dict[str, Any], action: str) -> bool:
    if "Action" in statement:
        return any(_matches(pattern, action) for pattern in _strings(statement["Action"]))
    if "NotAction" in statement:
        return not any(_matches(pattern, action) for pattern in _strings(statement["NotAction"]))
    return False


def _matches(pattern: str, action: str) -> bool:
    """IAM action matching: ``*`` is any run of characters, ``?`` one character, case-insensitive."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, action, re.IGNORECASE) is not None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
