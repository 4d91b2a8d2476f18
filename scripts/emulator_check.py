"""Runs every function's `sam build` artifact under AWS's Lambda Runtime Interface Emulator
(shipped inside the aws-sam-cli package), against DynamoDB Local, invokes it with its event from
events/, and checks the response. Prints each function's init duration as the emulator reports it.

usage: python scripts/emulator_check.py DYNAMODB_ENDPOINT   (after `sam build`)"""

import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import boto3
import samcli

ROOT = pathlib.Path(__file__).resolve().parent.parent
RIE = pathlib.Path(samcli.__file__).parent / "local" / "rapid" / "aws-lambda-rie-x86_64"
SEEDED_SCOPE = "0f5b6c1e-8c1a-4d2b-9e3f-5a6b7c8d9e0f"


def local_api(*args, **kwargs):
    """Runs the local server's command line (built by the test run, or built now)."""
    command = ["cargo", "run", "--quiet", "--locked", "--bin", "local-api", "--", *args]
    return subprocess.run(command, cwd=ROOT, check=True, **kwargs)


def operations():
    """The operations table (shared/src/operations.rs), as the local server prints it."""
    lines = local_api("routes", capture_output=True, text=True).stdout
    return [json.loads(line) for line in lines.splitlines()]


FUNCTIONS = {op["function"]: op["resource"] for op in operations()}  # binary -> template logical id
EVENT_PACKAGE_ID = "pkg-0f5b6c1e8c1a4d2b9e3f"  # the package the OpenSearch events name


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, what, emulator):
    for _ in range(200):
        if emulator.proc.poll() is not None:
            raise SystemExit(f"{what} exited early:\n{emulator.output()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on {port}")


class Emulator:
    def __init__(self, binary, endpoint, table, bootstrap=None):
        self.binary = binary
        self.port = free_port()
        bootstrap = pathlib.Path(bootstrap or ROOT / ".aws-sam" / "build" / FUNCTIONS[binary] / "bootstrap")
        if not bootstrap.exists():
            raise SystemExit(f"{bootstrap} is missing: run `sam build` first")
        env = dict(os.environ, TABLE_NAME=table, DYNAMODB_ENDPOINT=endpoint, AWS_REGION="us-east-1",
                   AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_LAMBDA_LOG_FORMAT="JSON",
                   AWS_LAMBDA_FUNCTION_NAME=binary)
        env.pop("IDENTITY_MODE", None)  # deployed identity: the events carry the IAM authoriser
        # Output goes to a file: a pipe nobody reads would block the function once full.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [str(RIE), "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
             "--runtime-api-address", f"127.0.0.1:{free_port()}", str(bootstrap)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self.port, f"the emulator for {binary}", self)

    def invoke(self, event):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations",
            data=json.dumps(event).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        body = json.loads(answer["body"]) if answer.get("body") else None
        return answer["statusCode"], answer.get("headers", {}), body

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        return self.output()


def event(binary, account=None, body=None, package_id=None):
    """The function's event; optionally as another caller, with another body or package ID."""
    text = (ROOT / "events" / f"{binary}.json").read_text()
    if package_id:
        text = text.replace(EVENT_PACKAGE_ID, package_id)
    e = json.loads(text)
    if account:
        e["requestContext"]["authorizer"]["iam"]["accountId"] = account
    if body is not None:
        e["body"] = json.dumps(body)
    return e


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def main(endpoint):
    table = f"emulator-{uuid.uuid4()}"
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    local_api("--dynamodb-endpoint", endpoint, "--table", table, "create-table", stdout=subprocess.DEVNULL)
    # The scope that the get, update, list, delete and tag events name (item layout: README).
    ddb.put_item(TableName=table, Item={
        "pk": {"S": "ACCOUNT#222222222222"}, "sk": {"S": "SCOPE"}, "scopeId": {"S": SEEDED_SCOPE},
        "targets": {"M": {"555555555555/us-west-2": {"BOOL": True}, "666666666666/us-east-1": {"BOOL": True}}}, "tags": {"M": {}},
        "version": {"N": "1"}})

    emulators = {binary: Emulator(binary, endpoint, table) for binary in FUNCTIONS}
    passed = 0
    try:
        status, headers, body = emulators["create-scope"].invoke(event("create-scope"))
        check(status == 200 and body["status"] == "SUCCEEDED", f"create-scope: {status} {body}")
        check(body["scopeArn"].startswith("arn:aws:networkflowmonitor:us-east-1:111111111111:scope/"), body)
        check(body["tags"] == {"team": "network"}, body)
        check(headers.get("x-amzn-requestid") == "evt-create-scope", headers)
        passed += 1

        status, _, body = emulators["list-scopes"].invoke(event("list-scopes"))
        check(status == 200 and [s["scopeId"] for s in body["scopes"]] == [SEEDED_SCOPE], f"list-scopes: {body}")
        passed += 1

        def target_accounts():
            status, _, body = emulators["get-scope"].invoke(event("get-scope"))
            check(status == 200, f"get-scope: {status} {body}")
            return [t["targetIdentifier"]["targetId"]["accountId"] for t in body["targets"]]

        check(target_accounts() == ["555555555555", "666666666666"], "get-scope targets")
        passed += 1

        status, _, body = emulators["update-scope"].invoke(event("update-scope"))
        check(status == 200 and body["scopeId"] == SEEDED_SCOPE, f"update-scope: {status} {body}")
        check(target_accounts() == ["444444444444", "666666666666"], "update-scope's change is stored")
        passed += 1

        # The tag events name the seeded scope by its ARN (decoded, as API Gateway passes it).
        def listed_tags():
            status, _, body = emulators["list-tags-for-resource"].invoke(event("list-tags-for-resource"))
            check(status == 200, f"list-tags-for-resource: {status} {body}")
            return body["tags"]

        status, _, body = emulators["tag-resource"].invoke(event("tag-resource"))
        check((status, body) == (200, {}), f"tag-resource: {status} {body}")
        check(listed_tags() == {"team": "network", "cost,center": "cc-42"}, "tag-resource's tags are stored")
        passed += 2  # tag-resource, list-tags-for-resource
        status, _, body = emulators["untag-resource"].invoke(event("untag-resource"))
        check((status, body) == (200, {}), f"untag-resource: {status} {body}")
        check(listed_tags() == {"team": "network"}, "untag-resource removed the key with a comma")
        passed += 1

        status, _, body = emulators["delete-scope"].invoke(event("delete-scope"))
        check((status, body) == (200, {}), f"delete-scope: {status} {body}")
        status, headers, _ = emulators["get-scope"].invoke(event("get-scope"))
        check(status == 404 and headers.get("x-amzn-errortype") == "ResourceNotFoundException", "deleted")
        status, headers, _ = emulators["list-tags-for-resource"].invoke(event("list-tags-for-resource"))
        check(status == 404 and headers.get("x-amzn-errortype") == "ResourceNotFoundException", "tags deleted")
        passed += 1

        # OpenSearch: account 222222222222's package, which the other events are pointed at.
        status, _, body = emulators["create-package"].invoke(event("create-package"))
        check(status == 200 and body["PackageDetails"]["PackageOwner"] == "111111111111", f"create-package: {body}")
        passed += 1
        status, _, body = emulators["create-package"].invoke(event("create-package", account="222222222222"))
        check(status == 200, f"create-package as 222222222222: {status} {body}")
        package_id = body["PackageDetails"]["PackageID"]

        status, _, body = emulators["update-package-scope"].invoke(event("update-package-scope", package_id=package_id))
        check(status == 200 and body["PackageUserList"] == ["333333333333", "GLOBAL"], f"update-package-scope: {body}")
        passed += 1
        status, _, body = emulators["describe-packages"].invoke(event("describe-packages", package_id=package_id))
        check(status == 200 and [p["PackageID"] for p in body["PackageDetailsList"]] == [package_id],
              f"describe-packages: {status} {body}")
        check(body["PackageDetailsList"][0]["AllowListedUserList"] == ["333333333333", "GLOBAL"], body)
        passed += 1
        status, _, body = emulators["update-package"].invoke(event("update-package", package_id=package_id))
        check(status == 200 and body["PackageDetails"]["AvailablePackageVersion"] == "v2", f"update-package: {body}")
        check(body["PackageDetails"]["AllowListedUserList"] == ["333333333333", "GLOBAL"], body)
        passed += 1
        status, _, body = emulators["get-package-version-history"].invoke(
            event("get-package-version-history", package_id=package_id))
        check(status == 200 and [v["PackageVersion"] for v in body["PackageVersionHistoryList"]] == ["v2"]
              and body["PackageVersionHistoryList"][0]["CommitMessage"] == "Add the 2026 synonyms"
              and "NextToken" in body, f"get-package-version-history: {status} {body}")
        passed += 1
        status, _, body = emulators["delete-package"].invoke(event("delete-package", package_id=package_id))
        check(status == 200 and body["PackageDetails"]["PackageStatus"] == "DELETED", f"delete-package: {body}")
        status, headers, _ = emulators["delete-package"].invoke(event("delete-package", package_id=package_id))
        check(status == 409 and headers.get("x-amzn-errortype") == "ResourceNotFoundException", "package deleted")
        status, headers, _ = emulators["get-package-version-history"].invoke(
            event("get-package-version-history", package_id=package_id))
        check(status == 409 and headers.get("x-amzn-errortype") == "ResourceNotFoundException", "history deleted")
        passed += 1

        # Macie: account 222222222222 enables Macie and adds member 333333333333 for the other events.
        status, _, body = emulators["enable-macie"].invoke(event("enable-macie"))
        check((status, body) == (200, {}), f"enable-macie: {status} {body}")
        passed += 1
        status, _, body = emulators["enable-macie"].invoke(event("enable-macie", account="222222222222"))
        check(status == 200, f"enable-macie as 222222222222: {status} {body}")
        member = {"account": {"accountId": "333333333333", "email": "member@example.com"}}
        status, _, body = emulators["create-member"].invoke(event("create-member", body=member))
        check(status == 200, f"create-member 333333333333: {status} {body}")

        status, _, body = emulators["update-macie-session"].invoke(event("update-macie-session"))
        check((status, body) == (200, {}), f"update-macie-session: {status} {body}")
        passed += 1
        status, _, body = emulators["get-macie-session"].invoke(event("get-macie-session"))
        check(status == 200 and body["findingPublishingFrequency"] == "SIX_HOURS", f"get-macie-session: {body}")
        passed += 1
        status, _, body = emulators["create-member"].invoke(event("create-member"))
        check(status == 200 and body["arn"].endswith(":222222222222:member/444444444444"), f"create-member: {body}")
        passed += 1
        status, _, body = emulators["get-member"].invoke(event("get-member"))
        check(status == 200 and body["relationshipStatus"] == "Enabled", f"get-member: {status} {body}")
        passed += 1

        status, _, body = emulators["batch-update-automated-discovery-accounts"].invoke(
            event("batch-update-automated-discovery-accounts"))
        check(status == 200 and body["errors"] == [{"accountId": "999999999999", "errorCode": "ACCOUNT_NOT_FOUND"}],
              f"batch-update-automated-discovery-accounts: {status} {body}")
        passed += 1
        status, _, body = emulators["list-automated-discovery-accounts"].invoke(
            event("list-automated-discovery-accounts"))
        check(status == 200 and body["items"] == [{"accountId": "222222222222", "status": "ENABLED"},
                                                  {"accountId": "333333333333", "status": "ENABLED"}],
              f"list-automated-discovery-accounts: {status} {body}")
        passed += 1
        status, _, body = emulators["update-member-session"].invoke(event("update-member-session"))
        check((status, body) == (200, {}), f"update-member-session: {status} {body}")
        status, _, body = emulators["get-member"].invoke(event("get-member"))
        check(body["relationshipStatus"] == "Paused", f"the member is paused: {body}")
        passed += 1
        status, _, body = emulators["delete-member"].invoke(event("delete-member"))
        check((status, body) == (200, {}), f"delete-member: {status} {body}")
        status, headers, _ = emulators["get-member"].invoke(event("get-member"))
        check(status == 404 and headers.get("x-amzn-errortype") == "ResourceNotFoundException", "member deleted")
        passed += 1

        # The configuration (ENABLED, ALL); member 444444444444 disassociated; Macie disabled.
        status, _, body = emulators["update-automated-discovery-configuration"].invoke(
            event("update-automated-discovery-configuration"))
        check((status, body) == (200, {}), f"update-automated-discovery-configuration: {status} {body}")
        passed += 1
        status, _, body = emulators["get-automated-discovery-configuration"].invoke(
            event("get-automated-discovery-configuration"))
        check(status == 200 and body["status"] == "ENABLED" and body["autoEnableOrganizationMembers"] == "ALL"
              and body["firstEnabledAt"] == body["lastUpdatedAt"] and "disabledAt" not in body,
              f"get-automated-discovery-configuration: {status} {body}")
        passed += 1
        status, _, body = emulators["list-members"].invoke(event("list-members"))
        check(status == 200 and [(m["accountId"], m["relationshipStatus"]) for m in body["members"]]
              == [("444444444444", "Enabled")] and "nextToken" not in body, f"list-members: {status} {body}")
        passed += 1
        status, _, body = emulators["disassociate-member"].invoke(event("disassociate-member"))
        check((status, body) == (200, {}), f"disassociate-member: {status} {body}")
        status, _, body = emulators["list-members"].invoke(event("list-members"))
        check([m["relationshipStatus"] for m in body["members"]] == ["Removed"], f"the member is Removed: {body}")
        passed += 1
        status, _, body = emulators["disable-macie"].invoke(event("disable-macie"))
        check((status, body) == (200, {}), f"disable-macie: {status} {body}")
        status, headers, _ = emulators["disable-macie"].invoke(event("disable-macie"))
        check(status == 403 and headers.get("x-amzn-errortype") == "AccessDeniedException", "Macie disabled")
        passed += 1
    finally:
        for binary, emulator in emulators.items():
            output = emulator.stop()
            # The emulator's own phase report; its REPORT line's "Init Duration" is not measured.
            init = re.findall(r"INIT REPORT\(durationMs: ([0-9.]+)\)", output)
            print(f"emulator: {binary}: init duration {float(init[0]):.1f} ms" if init else
                  f"emulator: {binary}: init duration not reported")
    print(f"emulator: {passed} passed, {len(FUNCTIONS) - passed} failed")
    return 0 if passed == len(FUNCTIONS) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
