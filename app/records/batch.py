"""The rules of a ChangeResourceRecordSets batch, applied to the record sets it touches (pure).

Route 53 API Reference, ChangeResourceRecordSets: a batch is validated as a whole and applied all or
nothing; its changes are evaluated in order against the state the earlier ones leave (``DELETE`` then
``CREATE`` of one record set is the documented way to replace it); every problem of the batch is reported,
joined as ``[first, second]`` in one ``InvalidChangeBatch``. The texts are Route 53's own where known
(``docs/record-sets.md`` lists which are this service's decisions).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from app.errors import InvalidChangeBatch
from app.records.names import NameProblem, RecordName, parse_name
from app.records.record_set import RecordSet

MAX_RECORDS = 1000  # ResourceRecord elements in one request, UPSERT counted twice
MAX_VALUE_CHARACTERS = 32000  # characters of all Value elements, UPSERT counted twice
MAX_SETS_PER_POLICY = {"GeoProximityLocation": 30}
DEFAULT_MAX_SETS_PER_POLICY = 100
APEX_NS = "A HostedZone must contain at least one NS record for the zone itself."
APEX_SOA = "A HostedZone must contain exactly one SOA record."
CONTINENTS = {
    "AF": "Africa",
    "AN": "Antarctica",
    "AS": "Asia",
    "EU": "Europe",
    "NA": "North America",
    "OC": "Oceania",
    "SA": "South America",
}
_NON_POLICY = {
    "Weight": "non-weighted",
    "Region": "non-latency",
    "GeoLocation": "non-GEO",
    "Failover": "non-failover",
    "MultiValueAnswer": "non multivalue answer",
    "GeoProximityLocation": "non-geoproximity",
    "CidrRoutingConfig": "non-CIDR",
}

Names = dict[str, dict[tuple[str, str], RecordSet]]
"""Record sets by name (sort key), then by (type, set identifier)."""

RecordKey = tuple[str, str, str]
"""(sort key, type, set identifier or ``""``): a record set's identity in its zone."""


@dataclass(frozen=True)
class RequestedChange:
    """One ``Change`` of a batch: its action, the record set (None when its name could not be parsed), and
    the problems found without the zone's state (name syntax, values), Route 53's messages."""

    action: str
    record_set: RecordSet | None
    problems: tuple[str, ...] = ()

    def weight(self) -> int:
        """How many times the batch limits count this change's records (UPSERT twice)."""
        return 2 if self.action == "UPSERT" else 1


@dataclass(frozen=True)
class Zone:
    id: str
    name: RecordName


OtherZone = Callable[[str], tuple[RecordName, Mapping[str, Mapping[tuple[str, str], RecordSet]]] | None]
"""Another hosted zone of this service, by id: its name and the record sets loaded for alias targets."""


@dataclass
class BatchResult:
    """What a valid batch changes: each touched record set's final state (None: deleted) and the zone's
    new record set count."""

    changed: dict[RecordKey, RecordSet | None] = field(default_factory=dict)
    count: int = 0


def lookups(changes: Sequence[RequestedChange], zone: Zone) -> dict[str, set[str]]:
    """The names ``apply_changes`` reads, by hosted zone id: in this zone every changed name, the apex and
    the alias targets; in other zones the alias targets (the caller loads those that are hosted here)."""
    wanted: dict[str, set[str]] = {zone.id: {zone.name.sort_key}}
    for change in changes:
        record = change.record_set
        if record is None:
            continue
        wanted[zone.id].add(record.name.sort_key)
        target = alias_target_name(record)
        if target is not None and record.alias is not None:
            wanted.setdefault(record.alias.hosted_zone_id, set()).add(target.sort_key)
    return wanted


def alias_target_name(record: RecordSet) -> RecordName | None:
    """The parsed DNS name of the record's alias target (None without alias or when it does not parse)."""
    if record.alias is None:
        return None
    try:
        return parse_name(record.alias.dns_name)
    except NameProblem:
        return None


def apply_changes(
    zone: Zone,
    names: Names,
    changes: Sequence[RequestedChange],
    *,
    record_count: int,
    max_record_sets: int,
    other_zone: OtherZone,
) -> BatchResult:
    """Validate ``changes`` against ``names`` (which must hold this zone's names of ``lookups``) and return
    what they change; InvalidChangeBatch with every problem otherwise. ``names`` is not modified."""
    limits = _limit_problems(changes)
    if limits:
        raise InvalidChangeBatch(_joined(limits))
    batch = _Batch(zone, names, record_count, other_zone)
    problems: list[str] = []
    for change in changes:
        problems += batch.apply(change)
    problems += batch.apex_problems()
    if not problems and batch.count > max(record_count, max_record_sets):
        problems.append(f"Exceeded limit MAX_RRSETS_BY_ZONE for zone: {zone.id}")
    if problems:
        raise InvalidChangeBatch(_joined(problems))
    return BatchResult(batch.changed, batch.count)


def _joined(problems: list[str]) -> str:
    return "[" + ", ".join(problems) + "]"


def _limit_problems(changes: Sequence[RequestedChange]) -> list[str]:
    records = characters = 0
    for change in changes:
        if change.record_set is not None:
            values = change.record_set.values
            records += len(values) * change.weight()
            characters += sum(len(value) for value in values) * change.weight()
    problems = []
    if records > MAX_RECORDS:
        problems.append(f"Number of records limit of {MAX_RECORDS} exceeded.")
    if characters > MAX_VALUE_CHARACTERS:
        problems.append(f"RDATA character limit of {MAX_VALUE_CHARACTERS} exceeded.")
    return problems


def record_label(record: RecordSet) -> str:
    """``[name='www.example.com.', type='A']``, with ``set-identifier='…'`` when there is one."""
    label = f"[name='{record.name.text}', type='{record.type}'"
    if record.set_identifier is not None:
        label += f", set-identifier='{record.set_identifier}'"
    return label + "]"


class _Batch:
    """The evolving state of one batch: copies of the names it changed, over the loaded ``names``."""

    def __init__(
        self,
        zone: Zone,
        names: Names,
        count: int,
        other_zone: OtherZone,
    ) -> None:
        self.zone = zone
        self.names = names
        self.count = count
        self.other_zone = other_zone
        self.working: Names = {}
        self.changed: dict[RecordKey, RecordSet | None] = {}
        self.written: dict[RecordKey, str] = {}  # keys created or upserted in this batch, and by which action
        self.repeated: set[RecordKey] = set()

    def state(self, sort_key: str) -> dict[tuple[str, str], RecordSet]:
        if sort_key not in self.working:
            self.working[sort_key] = dict(self.names.get(sort_key, {}))
        return self.working[sort_key]

    def apply(self, change: RequestedChange) -> list[str]:
        record = change.record_set
        if change.problems or record is None:
            return list(change.problems)
        placement = self.placement_problems(record)
        if placement:
            return placement
        key = (record.name.sort_key, *record.key)
        if change.action != "DELETE" and key in self.written:
            if key in self.repeated:
                return []
            self.repeated.add(key)
            return [
                "The request contains an invalid set of changes for a resource record set "
                f"'{record.type} {record.name.text}'"
            ]
        state = self.state(record.name.sort_key)
        existing = state.get(record.key)
        if change.action == "DELETE":
            if existing is None:
                return [f"Tried to delete resource record set {record_label(record)} but it was not found"]
            if not existing.matches(record):
                return [
                    f"Tried to delete resource record set {record_label(record)} but the values provided do not "
                    "match the current values"
                ]
            del state[record.key]
            self.changed[key] = None
            self.count -= 1
            self.written.pop(key, None)
            return []
        if change.action == "CREATE" and existing is not None:
            return [f"Tried to create resource record set {record_label(record)} but it already exists"]
        problems = self.conflicts(record, state) + self.alias_problems(record)
        if problems:
            return problems
        if existing is None:
            self.count += 1
        state[record.key] = record
        self.changed[key] = record
        self.written[key] = change.action
        return []

    def placement_problems(self, record: RecordSet) -> list[str]:
        """Where a record set may stand in this zone, whatever else the zone holds."""
        zone_text = self.zone.name.text
        name = record.name.text
        if not record.name.is_within(self.zone.name):
            return [f"RRSet with DNS name {name} is not permitted in zone {zone_text}"]
        at_apex = record.name == self.zone.name
        if at_apex and record.type in ("CNAME", "DS"):
            return [f"RRSet of type {record.type} with DNS name {name} is not permitted at apex in zone {zone_text}"]
        if at_apex and record.type in ("SOA", "NS") and record.set_identifier is not None:
            return [
                f"RRSet of type {record.type} with DNS name {name} is not permitted with a SetIdentifier at apex "
                f"in zone {zone_text}"
            ]
        if not at_apex and record.type == "SOA":
            return [f"RRSet of type SOA with DNS name {name} is not permitted except at apex in zone {zone_text}"]
        if record.type == "NS" and record.name.is_wildcard:
            return [f"RRSet of type NS with DNS name {name} is not permitted: NS records cannot be wildcards"]
        if record.alias is not None and record.type in ("NS", "SOA"):
            return [
                f"RRSet of type {record.type} with DNS name {name} is not permitted as an alias in zone {zone_text}"
            ]
        if record.alias is not None and record.routing_member("MultiValueAnswer") is not None:
            return [f"RRSet with DNS name {name}, type {record.type} cannot be a multivalue answer alias"]
        return []

    def conflicts(self, record: RecordSet, state: dict[tuple[str, str], RecordSet]) -> list[str]:
        """CNAME beside other types (both directions) and routing policies that do not mix."""
        name, zone_text = record.name.text, self.zone.name.text
        others = [other for key, other in state.items() if key != record.key]
        if record.type == "CNAME" and any(other.type != "CNAME" for other in others):
            return [
                f"RRSet of type CNAME with DNS name {name} is not permitted as it conflicts with other records "
                f"with the same DNS name in zone {zone_text}"
            ]
        if record.type != "CNAME" and any(other.type == "CNAME" for other in others):
            return [
                f"RRSet of type {record.type} with DNS name {name} is not permitted because a conflicting RRSet "
                f"of type CNAME with the same DNS name already exists in zone {zone_text}"
            ]
        siblings = [other for other in others if other.type == record.type]
        return _policy_problems(record, siblings)

    def alias_problems(self, record: RecordSet) -> list[str]:
        """An alias to a record set of a hosted zone here needs its target name inside that zone and a
        record set of the same type there (earlier in the batch counts)."""
        alias = record.alias
        if alias is None:
            return []
        target = alias_target_name(record)
        present: Mapping[tuple[str, str], RecordSet]
        if alias.hosted_zone_id == self.zone.id:
            target_zone = self.zone.name
            present = self.state(target.sort_key) if target else {}
        else:
            other = self.other_zone(alias.hosted_zone_id)
            if other is None:
                return []  # another AWS service's zone (ELB, CloudFront, S3 …): accepted as sent
            target_zone = other[0]
            present = other[1].get(target.sort_key, {}) if target else {}
        prefix = (
            f"Tried to create an alias that targets {alias.dns_name}, type {record.type} in zone {alias.hosted_zone_id}"
        )
        problems = []
        if target is None or not target.is_within(target_zone):
            problems.append(f"{prefix}, but the alias target name does not lie within the target zone")
        if not any(kind == record.type for kind, _ in present):
            problems.append(f"{prefix}, but that target was not found")
        return problems

    def apex_problems(self) -> list[str]:
        apex = self.working.get(self.zone.name.sort_key)
        if apex is None:
            return []
        problems = []
        if ("NS", "") not in apex:
            problems.append(APEX_NS)
        if ("SOA", "") not in apex:
            problems.append(APEX_SOA)
        return problems


def _policy_problems(record: RecordSet, siblings: list[RecordSet]) -> list[str]:
    """Record sets of one name and type share one routing policy; within it, failover values, latency
    regions and geolocations are unique, and there are at most 100 sets (30 for geoproximity)."""
    name, type_ = record.name.text, record.type
    policy = record.policy
    if not siblings:
        return []
    if policy == "simple":
        return [
            f"RRSet with DNS name {name}, type {type_} cannot be created as other RRSets exist with the same name "
            "and type."
        ]
    ident = f"RRSet with DNS name {name}, type {type_}, SetIdentifier {record.set_identifier}"
    if any(other.policy != policy for other in siblings):
        if policy == "Weight":
            return [f"{ident} cannot be created as a non-weighted set exists with the same name and type."]
        if policy == "Region":
            region = record.routing_member("Region")
            return [
                f"{ident}, and Region Name={region} cannot be created because a non-latency RRSet with the same "
                "name and type already exists."
            ]
        if policy == "GeoLocation":
            return [
                f"{ident}, and routing to [{_location(record.routing_member('GeoLocation'))}] cannot be created "
                "because a non-GEO RRSet with the same name and type already exists"
            ]
        return [f"{ident} cannot be created because a {_NON_POLICY[policy]} rrset exists with the same name and type."]
    if len(siblings) + 1 > MAX_SETS_PER_POLICY.get(policy, DEFAULT_MAX_SETS_PER_POLICY):
        limit = MAX_SETS_PER_POLICY.get(policy, DEFAULT_MAX_SETS_PER_POLICY)
        return [f"{ident} cannot be created because at most {limit} such RRSets may share a name and type."]
    if policy in ("Failover", "Region", "GeoLocation"):
        value = record.routing_member(policy)
        if any(other.routing_member(policy) == value for other in siblings):
            what = {"Failover": "failover value", "Region": "Region", "GeoLocation": "location"}[policy]
            shown = _location(value) if policy == "GeoLocation" else value
            return [
                f"{ident} cannot be created because another RRSet with the same name, type and {what} {shown} exists."
            ]
    return []


def _location(geo: Mapping[str, str]) -> str:
    """``continent = (NA, North America)``, ``country = (US)``, ``subdivision = (US-WA)``."""
    if "ContinentCode" in geo:
        code = geo["ContinentCode"]
        return f"continent = ({code}, {CONTINENTS.get(code, code)})"
    country = geo.get("CountryCode", "")
    if "SubdivisionCode" in geo:
        return f"subdivision = ({country}-{geo['SubdivisionCode']})"
    return f"country = ({country})"
