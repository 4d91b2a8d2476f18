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
FUNCTIONS = {  # binary -> template logical id
    "create-scope": "CreateScopeFunction",
    "update-scope": "UpdateScopeFunction",
    "get-scope": "GetScopeFunction",
    "list-scopes": "ListScopesFunction",
    "delete-scope": "DeleteScopeFunction",
}


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


def event(binary):
    return json.loads((ROOT / "events" / f"{binary}.json").read_text())


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def main(endpoint):
    table = f"emulator-{uuid.uuid4()}"
    ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    subprocess.run([str(ROOT / "target" / "debug" / "local-api"), "--dynamodb-endpoint", endpoint,
                    "--table", table, "create-table"], check=True, stdout=subprocess.DEVNULL)
    # The scope that the get, update, list and delete events name (item layout: README).
    ddb.put_item(TableName=table, Item={
        "pk": {"S": "ACCOUNT#222222222222"}, "sk": {"S": "SCOPE"}, "scopeId": {"S": SEEDED_SCOPE},
        "targets": {"SS": ["555555555555/us-west-2", "666666666666/us-east-1"]}, "tags": {"M": {}},
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

        status, _, body = emulators["delete-scope"].invoke(event("delete-scope"))
        check((status, body) == (200, {}), f"delete-scope: {status} {body}")
        status, headers, _ = emulators["get-scope"].invoke(event("get-scope"))
        check(status == 404 and headers.get("x-amzn-errortype") == "ResourceNotFoundException", "deleted")
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
