"""``kill -9`` under a create load: after a restart every acknowledged zone, KSK and record set is there with
its change record, and nothing half-written is (every stored KSK was either acknowledged or in flight)."""

import threading
import time
import uuid
from pathlib import Path

from botocore.exceptions import ClientError

from tests.conftest import LiveServer, fresh_database_url
from tests.kms_keys import DNSSEC_POLICY

CLIENTS = 8


def test_acknowledged_writes_survive_kill_9(template_database: str, tmp_path: Path) -> None:
    urls = fresh_database_url(template_database, tmp_path)
    server = LiveServer(next(urls), tmp_path, max_hosted_zones="1000000").start()  # room for the whole load
    try:
        kms = server.client("kms")
        arns = [
            kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)["KeyMetadata"]["Arn"]
            for _ in range(CLIENTS)
        ]
        acknowledged: list[tuple[str, str, str, str]] = []  # (zone id, zone change, ksk change, record change)
        attempted_zones: list[str] = []
        service_errors: list[ClientError] = []
        stop = threading.Event()

        def load(arn: str) -> None:
            route53 = server.client("route53")
            while not stop.is_set():
                name = f"crash-{uuid.uuid4().hex[:12]}.example"
                attempted_zones.append(name + ".")
                try:
                    zone = route53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)
                    zone_id = zone["HostedZone"]["Id"].split("/")[-1]
                    key = route53.create_key_signing_key(
                        CallerReference="c",
                        HostedZoneId=zone_id,
                        KeyManagementServiceArn=arn,
                        Name="crash_ksk",
                        Status="ACTIVE",
                    )
                    record = {"Name": f"www.{name}", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"kept"'}]}
                    records = route53.change_resource_record_sets(
                        HostedZoneId=zone_id,
                        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]},
                    )
                except ClientError as error:  # an answer, not a dropped connection: never expected here
                    service_errors.append(error)
                    return
                except Exception:  # the connection died with the server (botocore wraps it in several types)
                    return
                acknowledged.append(
                    (zone_id, zone["ChangeInfo"]["Id"], key["ChangeInfo"]["Id"], records["ChangeInfo"]["Id"])
                )

        threads = [threading.Thread(target=load, args=(arn,)) for arn in arns]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30  # kill once the load is under way, however busy the machine
        while len(acknowledged) < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.stop(kill=True)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert len(acknowledged) > 20, "the load never got going"
        assert service_errors == []

        server.start()
        route53 = server.client("route53")
        for zone_id, zone_change, key_change, record_change in acknowledged:
            keys = route53.get_dnssec(HostedZoneId=zone_id)["KeySigningKeys"]
            assert [key["Name"] for key in keys] == ["crash_ksk"]
            listed = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
            assert [(r["Type"], r.get("ResourceRecords")) for r in listed][2:] == [("TXT", [{"Value": '"kept"'}])]
            assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["ResourceRecordSetCount"] == 3
            assert route53.get_change(Id=record_change)["ChangeInfo"]["Status"] == "INSYNC"
            assert route53.get_change(Id=zone_change)["ChangeInfo"]["Status"] == "INSYNC"
            assert route53.get_change(Id=key_change)["ChangeInfo"]["Status"] == "INSYNC"
        stored = []
        marker = None
        while True:
            page = route53.list_hosted_zones(**({"Marker": marker} if marker else {}))
            stored += page["HostedZones"]
            if not page["IsTruncated"]:
                break
            marker = page["NextMarker"]
        assert {zone["Name"] for zone in stored} <= set(attempted_zones)
        assert len(stored) >= len(acknowledged)
    finally:
        server.stop()
        next(urls, None)
