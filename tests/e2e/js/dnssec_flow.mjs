// The DNSSEC key-signing-key flow through the AWS SDK for JavaScript v3 against a live route53-dnssec server.
//
// Usage: node dnssec_flow.mjs <endpoint-url>
//
// Creates a zone, a KMS key and a KSK; checks GetDNSSEC's KeySigningKeys item field by field (the JS SDK reads
// list items strictly by their modeled name, <member>); activates, enables signing, disables, deactivates,
// deletes the KSK and the zone; checks one modeled error. Prints a JSON summary; exits non-zero on any failure.

import {
  ActivateKeySigningKeyCommand,
  CreateHostedZoneCommand,
  CreateKeySigningKeyCommand,
  DeactivateKeySigningKeyCommand,
  DeleteHostedZoneCommand,
  DeleteKeySigningKeyCommand,
  DisableHostedZoneDNSSECCommand,
  EnableHostedZoneDNSSECCommand,
  GetChangeCommand,
  GetDNSSECCommand,
  GetHostedZoneCommand,
  Route53Client,
  waitUntilResourceRecordSetsChanged,
} from "@aws-sdk/client-route-53";
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";

const DNSSEC_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Allow use of the customer managed key for DNSSEC",
      Effect: "Allow",
      Principal: { Service: "dnssec-route53.amazonaws.com" },
      Action: ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"],
      Resource: "*",
    },
    {
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:root" },
      Action: "kms:*",
      Resource: "*",
    },
  ],
});

const steps = [];
const summary = { ok: false, endpoint: null, steps };

function check(condition, message, detail) {
  if (!condition) {
    const suffix = detail === undefined ? "" : `: ${JSON.stringify(detail)}`;
    throw new Error(`${message}${suffix}`);
  }
}

function bare(id) {
  return id.split("/").pop();
}

async function main() {
  const endpoint = process.argv[2];
  check(typeof endpoint === "string" && endpoint.startsWith("http"), "usage: node dnssec_flow.mjs <endpoint-url>");
  summary.endpoint = endpoint;
  const config = {
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  };
  const route53 = new Route53Client(config);
  const kms = new KMSClient(config);
  const suffix = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const zoneName = `js-${suffix}.example.com`;
  const keyName = "js_ksk";

  async function insync(changeInfo, operation) {
    check(changeInfo && changeInfo.Status === "PENDING", `${operation}: ChangeInfo.Status PENDING`, changeInfo);
    check(/^\/change\/C[A-Z0-9]+$/.test(changeInfo.Id), `${operation}: ChangeInfo.Id /change/C...`, changeInfo);
    const got = await route53.send(new GetChangeCommand({ Id: changeInfo.Id }));
    check(got.ChangeInfo.Status === "INSYNC", `${operation}: GetChange INSYNC`, got.ChangeInfo);
  }

  async function dnssec() {
    const got = await route53.send(new GetDNSSECCommand({ HostedZoneId: zoneId }));
    check(got.Status && typeof got.Status.ServeSignature === "string", "GetDNSSEC Status.ServeSignature", got.Status);
    check(Array.isArray(got.KeySigningKeys), "GetDNSSEC KeySigningKeys is a list", got.KeySigningKeys);
    return got;
  }

  async function step(name, command, afterCheck) {
    const response = await route53.send(command);
    await insync(response.ChangeInfo, name);
    const state = await dnssec();
    afterCheck(state);
    steps.push(name);
    return response;
  }

  // CreateHostedZone, waited with the SDK's own waiter.
  const zone = await route53.send(new CreateHostedZoneCommand({ Name: zoneName, CallerReference: `js-${suffix}` }));
  check(zone.$metadata.httpStatusCode === 201, "CreateHostedZone 201", zone.$metadata);
  check(zone.DelegationSet?.NameServers?.length === 4, "CreateHostedZone NameServers", zone.DelegationSet);
  const zoneId = bare(zone.HostedZone.Id);
  const waited = await waitUntilResourceRecordSetsChanged(
    { client: route53, maxWaitTime: 10, minDelay: 1, maxDelay: 2 },
    { Id: zone.ChangeInfo.Id },
  );
  check(waited.state === "SUCCESS", "waitUntilResourceRecordSetsChanged SUCCESS", waited.state);
  const gotZone = await route53.send(new GetHostedZoneCommand({ Id: zoneId }));
  check(gotZone.HostedZone.Name === `${zoneName}.`, "GetHostedZone Name", gotZone.HostedZone);
  steps.push("CreateHostedZone");
  summary.zoneId = zoneId;

  // A fresh zone: NOT_SIGNING and an empty key list.
  const fresh = await dnssec();
  check(fresh.Status.ServeSignature === "NOT_SIGNING", "fresh zone NOT_SIGNING", fresh.Status);
  check(fresh.KeySigningKeys.length === 0, "fresh zone has no keys", fresh.KeySigningKeys);

  // KMS key.
  const key = await kms.send(
    new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY", Policy: DNSSEC_POLICY }),
  );
  const kmsArn = key.KeyMetadata.Arn;
  check(/^arn:aws:kms:us-east-1:\d{12}:key\//.test(kmsArn), "KMS key ARN", kmsArn);
  steps.push("CreateKey");

  // CreateKeySigningKey INACTIVE.
  const created = await route53.send(
    new CreateKeySigningKeyCommand({
      CallerReference: `js-ksk-${suffix}`,
      HostedZoneId: zoneId,
      KeyManagementServiceArn: kmsArn,
      Name: keyName,
      Status: "INACTIVE",
    }),
  );
  check(created.$metadata.httpStatusCode === 201, "CreateKeySigningKey 201", created.$metadata);
  check(
    typeof created.Location === "string" && created.Location.endsWith(`/2013-04-01/keysigningkey/${zoneId}/${keyName}`),
    "CreateKeySigningKey Location",
    created.Location,
  );
  await insync(created.ChangeInfo, "CreateKeySigningKey");
  steps.push("CreateKeySigningKey");

  // GetDNSSEC: the key with every field (only readable if the items are <member>).
  const listed = await dnssec();
  check(listed.KeySigningKeys.length === 1, "GetDNSSEC lists the key (items must be <member>)", listed.KeySigningKeys);
  const ksk = listed.KeySigningKeys[0];
  check(ksk.Name === keyName, "Name", ksk.Name);
  check(ksk.KmsArn === kmsArn, "KmsArn", ksk.KmsArn);
  check(ksk.Flag === 257, "Flag", ksk.Flag);
  check(ksk.SigningAlgorithmMnemonic === "ECDSAP256SHA256", "SigningAlgorithmMnemonic", ksk.SigningAlgorithmMnemonic);
  check(ksk.SigningAlgorithmType === 13, "SigningAlgorithmType", ksk.SigningAlgorithmType);
  check(ksk.DigestAlgorithmMnemonic === "SHA-256", "DigestAlgorithmMnemonic", ksk.DigestAlgorithmMnemonic);
  check(ksk.DigestAlgorithmType === 2, "DigestAlgorithmType", ksk.DigestAlgorithmType);
  check(Number.isInteger(ksk.KeyTag) && ksk.KeyTag >= 0 && ksk.KeyTag <= 65535, "KeyTag", ksk.KeyTag);
  check(/^[0-9A-F]{64}$/.test(ksk.DigestValue), "DigestValue", ksk.DigestValue);
  check(/^[0-9A-Za-z+/]{86}==$/.test(ksk.PublicKey), "PublicKey", ksk.PublicKey);
  check(ksk.DSRecord === `${ksk.KeyTag} 13 2 ${ksk.DigestValue}`, "DSRecord", ksk.DSRecord);
  check(ksk.DNSKEYRecord === `257 3 13 ${ksk.PublicKey}`, "DNSKEYRecord", ksk.DNSKEYRecord);
  check(ksk.Status === "INACTIVE", "Status", ksk.Status);
  check(ksk.StatusMessage === undefined, "no StatusMessage", ksk.StatusMessage);
  check(ksk.CreatedDate instanceof Date && !Number.isNaN(ksk.CreatedDate.getTime()), "CreatedDate", ksk.CreatedDate);
  check(ksk.LastModifiedDate instanceof Date, "LastModifiedDate", ksk.LastModifiedDate);
  check(ksk.CreatedDate.getTime() === ksk.LastModifiedDate.getTime(), "CreatedDate == LastModifiedDate at creation");
  for (const field of Object.keys(created.KeySigningKey)) {
    const a = created.KeySigningKey[field];
    const b = ksk[field];
    const same = a instanceof Date ? a.getTime() === b.getTime() : a === b;
    check(same, `GetDNSSEC ${field} equals CreateKeySigningKey's`, { created: a, listed: b });
  }
  steps.push("GetDNSSEC");

  // The modeled error: NoSuchKeySigningKey, 404, as a typed exception.
  try {
    await route53.send(new ActivateKeySigningKeyCommand({ HostedZoneId: zoneId, Name: "no_such_ksk" }));
    check(false, "ActivateKeySigningKey on a missing key must fail");
  } catch (error) {
    check(error.name === "NoSuchKeySigningKey", "error name NoSuchKeySigningKey", { name: error.name });
    check(error.$metadata?.httpStatusCode === 404, "error status 404", error.$metadata);
    check(
      error.message === `No key-signing key named 'no_such_ksk' exists in hosted zone '${zoneId}'.`,
      "error message",
      error.message,
    );
    summary.error = { name: error.name, httpStatusCode: error.$metadata.httpStatusCode, message: error.message };
  }
  steps.push("NoSuchKeySigningKey");

  const keyOf = (state) => state.KeySigningKeys.find((k) => k.Name === keyName);
  const keyParams = { HostedZoneId: zoneId, Name: keyName };

  await step("ActivateKeySigningKey", new ActivateKeySigningKeyCommand(keyParams), (state) => {
    check(keyOf(state)?.Status === "ACTIVE", "key ACTIVE after activate", keyOf(state));
    check(keyOf(state).LastModifiedDate.getTime() > ksk.LastModifiedDate.getTime(), "LastModifiedDate moved");
  });
  await step("EnableHostedZoneDNSSEC", new EnableHostedZoneDNSSECCommand({ HostedZoneId: zoneId }), (state) => {
    check(state.Status.ServeSignature === "SIGNING", "zone SIGNING after enable", state.Status);
    check(state.Status.StatusMessage === undefined, "no zone StatusMessage", state.Status);
  });
  await step("DisableHostedZoneDNSSEC", new DisableHostedZoneDNSSECCommand({ HostedZoneId: zoneId }), (state) => {
    check(state.Status.ServeSignature === "NOT_SIGNING", "zone NOT_SIGNING after disable", state.Status);
  });
  await step("DeactivateKeySigningKey", new DeactivateKeySigningKeyCommand(keyParams), (state) => {
    check(keyOf(state)?.Status === "INACTIVE", "key INACTIVE after deactivate", keyOf(state));
  });
  await step("DeleteKeySigningKey", new DeleteKeySigningKeyCommand(keyParams), (state) => {
    check(state.KeySigningKeys.length === 0, "no keys after delete", state.KeySigningKeys);
  });

  const deleted = await route53.send(new DeleteHostedZoneCommand({ Id: zoneId }));
  await insync(deleted.ChangeInfo, "DeleteHostedZone");
  steps.push("DeleteHostedZone");

  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: kmsArn, PendingWindowInDays: 7 }));
  steps.push("ScheduleKeyDeletion");

  summary.keyTag = ksk.KeyTag;
  summary.ok = true;
}

try {
  await main();
  console.log(JSON.stringify(summary));
} catch (error) {
  summary.ok = false;
  summary.failure = { name: error?.name, message: error?.message, status: error?.$metadata?.httpStatusCode };
  console.log(JSON.stringify(summary));
  process.exitCode = 1;
}
