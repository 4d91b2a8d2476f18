"""`make bench`'s Lambda measurements (scripts/bench.sh builds what it measures): function sizes,
cold starts, first and warm invokes of the GetScope function against the two baselines built in
the same run (bench/hello-world, bench/bare-sdk), all under AWS's Lambda Runtime Interface
Emulator against DynamoDB Local; the first invoke again behind a TLS endpoint (a TLS-terminating
proxy in front of DynamoDB Local, with a CA made for the run), with and without the connection
opened at init; and the first page of DescribePackages and ListAutomatedDiscoveryAccounts with
10 and 3000 items seeded through the local server.

usage: python scripts/bench_lambda.py DYNAMODB_ENDPOINT FUNCTIONS_DIR BASELINES_DIR LOCAL_API
(FUNCTIONS_DIR holds the 28 function binaries, BASELINES_DIR bench-hello-world and bench-bare-sdk)

Prints one `bench: <name> <figure>` line per measure (README, Performance)."""

import asyncio
import concurrent.futures
import json
import os
import pathlib
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

import boto3

import emulator_check as emu

COLD_RUNS = 20
TLS_COLD_RUNS = 40  # the saving of priming on loopback (a millisecond or two) is near the noise
WARM_INVOKES = 300
PAGE_INVOKES = 40
SCOPE_OWNER = "222222222222"  # the account of the get-scope event


class Function:
    """A bootstrap running under the emulator, with the run's environment plus `env`."""

    def __init__(self, name, bootstrap, endpoint, table, env=None):
        self.port = emu.free_port()
        self.proc = None
        environment = dict(os.environ, TABLE_NAME=table, DYNAMODB_ENDPOINT=endpoint, AWS_REGION="us-east-1",
                           AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_LAMBDA_LOG_FORMAT="JSON",
                           AWS_LAMBDA_FUNCTION_NAME=name, **(env or {}))
        environment.pop("IDENTITY_MODE", None)
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [str(emu.RIE), "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
             "--runtime-api-address", f"127.0.0.1:{emu.free_port()}", str(bootstrap)],
            env=environment, stdout=self.log, stderr=subprocess.STDOUT)
        emu.wait_for(self.port, f"the emulator for {name}", self)

    def invoke(self, event):
        """(milliseconds, status code) of one invocation."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations",
            data=json.dumps(event).encode(), method="POST")
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        return (time.perf_counter() - started) * 1000, answer.get("statusCode")

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        """The emulator's measures, in milliseconds: the init phase, and each invoke's duration
        (from the event's dispatch to the function's answer; the emulator starts the function
        on the first invoke, so its wall time also holds the init)."""
        self.proc.terminate()
        self.proc.wait(timeout=10)
        inits = re.findall(r"INIT REPORT\(durationMs: ([0-9.]+)\)", self.output())
        if not inits:
            raise SystemExit(f"no INIT REPORT from the emulator:\n{self.output()}")
        return float(inits[0]), [float(d) for d in re.findall(r"\tDuration: ([0-9.]+) ms", self.output())]


def cold(variants, endpoint, table, event, runs=COLD_RUNS, connections=None):
    """Cold starts of each variant, interleaved run by run so that they share the machine's
    noise: {label: (init median ms, first invoke median ms)}. With `connections` (a count of
    connections made so far), also prints how many connections each variant's runs opened."""
    inits = {label: [] for label in variants}
    firsts = {label: [] for label in variants}
    opened = {label: 0 for label in variants}
    for _ in range(runs):
        for label, (bootstrap, env, expected) in variants.items():
            before = connections() if connections else 0
            function = Function(label, bootstrap, endpoint, table, env)
            _, status = function.invoke(event)
            if connections:
                opened[label] += connections() - before
            init, durations = function.stop()
            if status != expected:
                raise SystemExit(f"{label}: status {status}, expected {expected}:\n{function.output()}")
            inits[label].append(init)
            firsts[label].append(durations[0])
    if connections:
        for label, count in opened.items():
            print(f"connections: {label} opened {count} in {runs} cold starts, each with one invoke")
    return {label: (statistics.median(inits[label]), statistics.median(firsts[label])) for label in variants}


def warm(variants, endpoint, table, event):
    """Warm invoke p50 of each variant, invoked in turn, after 20 invokes each: {label: p50 ms}
    of the emulator's invoke durations."""
    functions = {label: Function(label, bootstrap, endpoint, table) for label, (bootstrap, _, _) in variants.items()}
    for _ in range(20 + WARM_INVOKES):
        for f in functions.values():
            f.invoke(event)
    return {label: statistics.median(f.stop()[1][20:]) for label, f in functions.items()}


class TlsProxy:
    """A TLS endpoint on 127.0.0.1 forwarding to DynamoDB Local, with a server certificate for
    `localhost` from a CA made for this run (`ca` is its PEM file)."""

    def __init__(self, upstream, workdir):
        self.ca = workdir / "ca.pem"
        key, cert = workdir / "server.key", workdir / "server.pem"
        run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=scopes-api bench CA", "-keyout", str(workdir / "ca.key"), "-out", str(self.ca))
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
            "-keyout", str(key), "-out", str(workdir / "server.csr"))
        (workdir / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        run("x509", "-req", "-in", str(workdir / "server.csr"), "-CA", str(self.ca), "-CAkey", str(workdir / "ca.key"),
            "-CAcreateserial", "-days", "1", "-extfile", str(workdir / "ext.cnf"), "-out", str(cert))
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        host, port = upstream.rsplit("//", 1)[1].split(":")
        self.upstream = (host, int(port))
        self.port = emu.free_port()
        self.endpoint = f"https://127.0.0.1:{self.port}"
        self.accepted = 0
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        threading.Thread(target=self._serve, args=(started,), daemon=True).start()
        started.wait(10)

    def _serve(self, started):
        asyncio.set_event_loop(self.loop)

        async def pipe(reader, writer):
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, ssl.SSLError):
                pass
            finally:
                writer.close()

        async def handle(client_reader, client_writer):
            self.accepted += 1
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
            await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))

        self.server = self.loop.run_until_complete(
            asyncio.start_server(handle, "127.0.0.1", self.port, ssl=self.context))
        started.set()
        self.loop.run_forever()


class LocalServer:
    """The local server on the run's table, for seeding through the API."""

    def __init__(self, local_api, endpoint, table):
        self.port = emu.free_port()
        self.proc = subprocess.Popen([local_api, "--dynamodb-endpoint", endpoint, "--table", table,
                                      "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        emu.wait_for(self.port, "the local server", self)

    def call(self, account, method, path, body=None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"content-type": "application/json",
                     "authorization": f"AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/es/aws4_request"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def output(self):
        return ""

    def many(self, calls):
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda c: self.call(*c), calls))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def first_page(name, bootstrap, endpoint, table, event):
    """p50 of a warm first page (after one invocation): the emulator's invoke durations, ms."""
    function = Function(name, bootstrap, endpoint, table)
    try:
        _, status = function.invoke(event)
        if status != 200:
            raise SystemExit(f"{name}: status {status}:\n{function.output()}")
        for _ in range(PAGE_INVOKES):
            function.invoke(event)
    finally:
        durations = function.stop()[1]
    return statistics.median(durations[1:])


def pages(functions, endpoint, table, local_api):
    """describe-packages and list-discovery-accounts first-page p50 with 10 and 3000 items."""
    server = LocalServer(local_api, endpoint, table)
    out = {}
    try:
        for count, owner in ((10, "700000000010"), (3000, "700000003000")):
            # The caller sees `count` packages of another account, shared with everyone (GLOBAL):
            # the case whose page used to cost the whole GLOBAL partition.
            sharer = f"71{count:010d}"
            package = {"PackageType": "TXT-DICTIONARY", "PackageVendingOptions": {"VendingEnabled": True},
                       "PackageSource": {"S3BucketName": "bench-bucket", "S3Key": "synonyms.txt"}}
            ids = server.many([(sharer, "POST", "/2021-01-01/packages", dict(package, PackageName=f"bench-{i:05d}"))
                               for i in range(count)])
            server.many([(sharer, "POST", "/2021-01-01/packages/updateScope",
                          {"PackageID": out["PackageDetails"]["PackageID"], "Operation": "ADD",
                           "PackageUserList": ["GLOBAL"]}) for out in ids])
            event = emu.event("describe-packages", account=owner, body={"MaxResults": 10})
            out[("describe-packages", count)] = first_page(
                "describe-packages", functions / "describe-packages", endpoint, table, event)

            server.call(owner, "POST", "/macie", {})
            server.many([(owner, "POST", "/members",
                          {"account": {"accountId": f"8{count:05d}{i:06d}", "email": f"m{i}@example.com"}})
                         for i in range(count - 1)])  # the administrator is listed too
            event = emu.event("list-automated-discovery-accounts", account=owner)
            event["rawQueryString"] = "maxResults=10"
            event["queryStringParameters"] = {"maxResults": "10"}
            out[("list-automated-discovery-accounts", count)] = first_page(
                "list-automated-discovery-accounts", functions / "list-automated-discovery-accounts", endpoint, table,
                event)
    finally:
        server.stop()
    return out


def main(endpoint, functions_dir, baselines_dir, local_api):
    functions, baselines = pathlib.Path(functions_dir), pathlib.Path(baselines_dir)
    get_scope, hello, bare = functions / "get-scope", baselines / "bench-hello-world", baselines / "bench-bare-sdk"

    sizes = {name: (functions / name).stat().st_size for name in emu.FUNCTIONS}
    for name, size in sorted(sizes.items(), key=lambda s: -s[1]):
        print(f"size: {name} {size} bytes")
    print(f"size: baseline bench-hello-world {hello.stat().st_size} bytes, bench-bare-sdk {bare.stat().st_size} bytes")

    table = f"bench-{uuid.uuid4()}"
    subprocess.run([local_api, "--dynamodb-endpoint", endpoint, "--table", table, "create-table"], check=True,
                   stdout=subprocess.DEVNULL)
    boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="local",
                 aws_secret_access_key="local").put_item(TableName=table, Item={
                     "pk": {"S": f"ACCOUNT#{SCOPE_OWNER}"}, "sk": {"S": "SCOPE"}, "scopeId": {"S": emu.SEEDED_SCOPE},
                     "targets": {"M": {"555555555555/us-west-2": {"BOOL": True}}}, "tags": {"M": {}}, "version": {"N": "1"}})
    event = emu.event("get-scope")

    plain = cold({"hello-world": (hello, None, 200), "bare-sdk": (bare, None, 200),
                  "get-scope": (get_scope, None, 200)}, endpoint, table, event)
    for label, (init, first) in plain.items():
        print(f"cold (http): {label} init median {init:.2f} ms, first invoke median {first:.2f} ms (n={COLD_RUNS})")
    warm_p50 = warm({"bare-sdk": (bare, None, 200), "get-scope": (get_scope, None, 200)}, endpoint, table, event)
    for label, p50 in warm_p50.items():
        print(f"warm (http): {label} p50 {p50:.2f} ms (n={WARM_INVOKES})")

    with tempfile.TemporaryDirectory() as workdir:
        proxy = TlsProxy(endpoint, pathlib.Path(workdir))
        # The bare function trusts the system store plus the run's CA (rustls-native-certs reads
        # SSL_CERT_FILE); GetScope its compiled-in roots plus the run's CA.
        bundle = pathlib.Path(workdir) / "bundle.pem"
        system = pathlib.Path("/etc/ssl/certs/ca-certificates.crt")
        bundle.write_text((system.read_text() if system.exists() else "") + proxy.ca.read_text())
        extra = {"SCOPES_EXTRA_CA_FILE": str(proxy.ca)}
        tls = cold({"bare-sdk": (bare, {"SSL_CERT_FILE": str(bundle)}, 200),
                    "get-scope": (get_scope, extra, 200),
                    "get-scope-unprimed": (get_scope, dict(extra, SCOPES_PRIME_CONNECTION="false"), 200)},
                   proxy.endpoint, table, event, runs=TLS_COLD_RUNS, connections=lambda: proxy.accepted)
    for label, (init, first) in tls.items():
        print(f"cold (tls): {label} init median {init:.2f} ms, first invoke median {first:.2f} ms (n={TLS_COLD_RUNS})")

    page = pages(functions, endpoint, table, local_api)
    for (name, count), p50 in page.items():
        print(f"page: {name} with {count} items: first page p50 {p50:.2f} ms (n={PAGE_INVOKES})")

    print(f"bench: size-max-bytes {max(sizes.values())}")
    print(f"bench: size-min-bytes {min(sizes.values())}")
    print(f"bench: init-ratio {plain['get-scope'][0] / plain['hello-world'][0]:.2f}")
    print(f"bench: first-invoke-ratio {tls['get-scope'][1] / tls['bare-sdk'][1]:.2f}")
    print(f"bench: warm-ratio {warm_p50['get-scope'] / warm_p50['bare-sdk']:.2f}")
    print(f"bench: describe-packages-p50-ms 10={page[('describe-packages', 10)]:.2f} "
          f"3000={page[('describe-packages', 3000)]:.2f}")
    print(f"bench: list-discovery-accounts-p50-ms 10={page[('list-automated-discovery-accounts', 10)]:.2f} "
          f"3000={page[('list-automated-discovery-accounts', 3000)]:.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
