"""Does a KMS key policy let Route 53 use the key for DNSSEC signing?

Route 53 needs ``kms:DescribeKey``, ``kms:GetPublicKey`` and ``kms:Sign`` as the service principal
``dnssec-route53.amazonaws.com`` (Route 53 Developer Guide, "Customer managed key requirements for DNSSEC";
KMS Developer Guide, "Key policies"). Evaluation follows IAM's rules for the elements used by key policies
(IAM User Guide, "Policy evaluation logic"): an explicit Deny wins over any Allow.

Any client can write a key policy, so evaluation is bounded: a policy is at most ``MAX_POLICY_BYTES`` (the KMS
key policy quota, 32 KB; longer ones grant nothing), wildcards match in time linear in the pattern, verdicts
are cached, and policies too long to evaluate on the event loop are evaluated in a worker thread
(``prepare_verdicts``) before the checks ask for them.
"""

import asyncio
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

SERVICE_PRINCIPALS = frozenset({"dnssec-route53.amazonaws.com", "api-service.dnssec.route53.aws.internal"})
REQUIRED_ACTIONS = ("kms:DescribeKey", "kms:GetPublicKey", "kms:Sign")
MAX_POLICY_BYTES = 32768  # KMS Developer Guide, "Quotas": a key policy document is at most 32 KB
INLINE_POLICY_CHARS = 4096  # shorter policies cost less to evaluate than a hop to a worker thread
_CACHE_SIZE = 4096
_verdicts: OrderedDict[tuple[str, str | None, str | None], bool] = OrderedDict()
_verdicts_lock = threading.Lock()


async def prepare_verdicts(policies: Iterable[tuple[str, str | None]]) -> None:
    """Evaluate, in a worker thread, the (policy, owner account) pairs whose policy is longer than
    ``INLINE_POLICY_CHARS`` and not cached yet, for zones of the key's own account (the common case), so
    that ``grants_dnssec_access`` answers them from the cache on the event loop."""
    pending = {
        (policy, account)
        for policy, account in policies
        if len(policy) > INLINE_POLICY_CHARS and (policy, account, account) not in _verdicts
    }
    if pending:
        await asyncio.to_thread(lambda: [grants_dnssec_access(policy, account, account) for policy, account in pending])


def grants_dnssec_access(policy: str, zone_account: str | None = None, key_account: str | None = None) -> bool:
    """``evaluate_policy``, cached (least recently used verdicts are forgotten first)."""
    cache_key = (policy, zone_account, key_account)
    with _verdicts_lock:
        verdict = _verdicts.get(cache_key)
        if verdict is not None:
            _verdicts.move_to_end(cache_key)
            return verdict
    verdict = evaluate_policy(policy, zone_account, key_account)
    with _verdicts_lock:
        _verdicts[cache_key] = verdict
        if len(_verdicts) > _CACHE_SIZE:
            _verdicts.popitem(last=False)
    return verdict


def evaluate_policy(policy: str, zone_account: str | None = None, key_account: str | None = None) -> bool:
    """True when the policy allows, and does not deny, every action in ``REQUIRED_ACTIONS`` to Route 53
    acting for a zone of ``zone_account`` (None: any zone; the key is owned by ``key_account``).

    * Principal: ``"*"`` or ``{"Service": name | [names]}`` naming ``dnssec-route53.amazonaws.com`` or the
      legacy ``api-service.dnssec.route53.aws.internal``. ``{"AWS": "*"}`` does not count: it matches every
      AWS account and IAM identity, and a service principal is neither. ``NotPrincipal`` applies to every
      principal it does not name.
    * Action / NotAction: a string or a list; IAM wildcards ``*`` and ``?``, compared case-insensitively.
    * Resource is not required (it always means this key in a key policy).
    * ``aws:SourceAccount`` (``StringEquals``/``StringLike``, and their ``Not`` forms) is evaluated against
      the zone's account. A statement without it serves only the key owner's own zones: a key in another
      account is usable for a zone only when its policy names that zone's account (the confused-deputy rule
      of the IAM User Guide, "Cross-service confused deputy prevention"). With ``zone_account`` None the
      condition counts as met.
    * Other condition blocks count as satisfied: Route 53 meets the documented ``aws:SourceArn`` condition.
      A conditional Deny therefore denies.

    A policy that is not a JSON object with statements, or longer than ``MAX_POLICY_BYTES``, grants nothing.
    """
    if len(policy) > MAX_POLICY_BYTES or len(policy.encode()) > MAX_POLICY_BYTES:
        return False
    try:
        document = json.loads(policy)
    except (ValueError, RecursionError):
        return False
    if not isinstance(document, dict):
        return False
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return False
    relevant = [
        s
        for s in statements
        if isinstance(s, dict) and _applies_to_route53(s) and _for_account(s, zone_account, key_account)
    ]
    allows = [s for s in relevant if s.get("Effect") == "Allow"]
    denies = [s for s in relevant if s.get("Effect") == "Deny"]
    return all(
        any(_covers(s, action) for s in allows) and not any(_covers(s, action) for s in denies)
        for action in REQUIRED_ACTIONS
    )


def grants_account_access(policy: str, account: str, action: str) -> bool:
    """Does the key policy let ``account`` (its root, as every caller here acts) call ``action``?

    For cross-account use (KMS Developer Guide, "Allowing users in other accounts to use a KMS key"): an
    Allow whose Principal is ``"*"``, ``{"AWS": "*"}``, ``arn:aws:iam::<account>:root`` or the bare account
    id, and whose Action covers ``action``, with no Deny for it naming the account. Conditions count as
    met; a policy that does not parse, or longer than ``MAX_POLICY_BYTES``, grants nothing. The caller's
    own IAM policy, which AWS also requires, is not modelled: there are no IAM identities here.
    """
    if len(policy.encode()) > MAX_POLICY_BYTES:
        return False
    try:
        document = json.loads(policy)
    except (ValueError, RecursionError):
        return False
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return False
    relevant = [s for s in statements if isinstance(s, dict) and _names_account(s, account)]
    allowed = any(s.get("Effect") == "Allow" and _covers(s, action) for s in relevant)
    return allowed and not any(s.get("Effect") == "Deny" and _covers(s, action) for s in relevant)


def _names_account(statement: dict[str, Any], account: str) -> bool:
    names = {"*", account, f"arn:aws:iam::{account}:root"}
    if "Principal" in statement:
        principal = statement["Principal"]
        if principal == "*":
            return True
        return isinstance(principal, dict) and any(name in names for name in _strings(principal.get("AWS")))
    if "NotPrincipal" in statement:
        principal = statement["NotPrincipal"]
        return isinstance(principal, dict) and not any(name in names for name in _strings(principal.get("AWS")))
    return False


_ACCOUNT_OPERATORS = {"stringequals": False, "stringlike": False, "stringnotequals": True, "stringnotlike": True}


def _for_account(statement: dict[str, Any], zone_account: str | None, key_account: str | None) -> bool:
    """Does the statement apply to Route 53 acting for a zone of ``zone_account`` (see ``evaluate_policy``)?"""
    if zone_account is None:
        return True
    conditions = statement.get("Condition")
    tests: list[tuple[bool, list[str]]] = []
    if isinstance(conditions, dict):
        for operator, block in conditions.items():
            negated = _ACCOUNT_OPERATORS.get(str(operator).lower().removesuffix("ifexists"))
            if negated is None or not isinstance(block, dict):
                continue
            for name, values in block.items():
                if str(name).lower() == "aws:sourceaccount":
                    tests.append((negated, _strings(values)))
    if not tests:
        return statement.get("Effect") == "Deny" or zone_account == key_account
    return all(any(_matches(v, zone_account) for v in values) != negated for negated, values in tests)


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
    """IAM action matching: ``*`` is any run of characters, ``?`` one character, case-insensitive.

    Linear in the pattern (no backtracking): the first piece must start the action and the last end it; each
    piece between stars is taken at its leftmost place after the previous one, which never loses a match,
    since any later place leaves less room for the pieces after it.
    """
    pattern, action = pattern.lower(), action.lower()
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return len(pattern) == len(action) and _piece_at(pattern, action, 0)
    if sum(map(len, pieces)) > len(action):
        return False
    first, middle, last = pieces[0], pieces[1:-1], pieces[-1]
    end = len(action) - len(last)
    if not (_piece_at(first, action, 0) and _piece_at(last, action, end)):
        return False
    position = len(first)
    for piece in middle:
        found = _find_piece(piece, action, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _piece_at(piece: str, text: str, start: int) -> bool:
    """Does ``piece`` (``?`` matching any one character) match ``text`` at ``start``?"""
    window = text[start : start + len(piece)]
    return len(window) == len(piece) and all(p in ("?", t) for p, t in zip(piece, window, strict=True))


def _find_piece(piece: str, text: str, start: int, end: int) -> int:
    """The leftmost place in ``text[start:end]`` where ``piece`` matches, or -1."""
    if "?" not in piece:
        return text.find(piece, start, end)
    for place in range(start, end - len(piece) + 1):
        if _piece_at(piece, text, place):
            return place
    return -1


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
