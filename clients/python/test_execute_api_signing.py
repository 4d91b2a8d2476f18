"""The plugin makes boto3 and the AWS CLI sign with an execute-api credential scope, and
leaves other services alone. Run: python -m unittest discover -s clients/python"""

import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import unittest

import boto3

import execute_api_signing

HERE = os.path.dirname(os.path.abspath(__file__))


class Capture(http.server.BaseHTTPRequestHandler):
    seen = []

    def _answer(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        Capture.seen.append((self.command, self.path, self.headers.get("authorization", "")))
        body = json.dumps({"scopes": []}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args):
        pass


class ExecuteApiSigning(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Capture)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.endpoint = f"http://127.0.0.1:{cls.server.server_address[1]}/prod"

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()

    def setUp(self):
        Capture.seen.clear()

    def session(self):
        return boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="eu-west-1")

    def test_boto3_signs_for_execute_api_with_the_plugin(self):
        session = self.session()
        execute_api_signing.register(session)
        session.client("networkflowmonitor", endpoint_url=self.endpoint).list_scopes()
        method, path, auth = Capture.seen[-1]
        self.assertEqual((method, path), ("GET", "/prod/scopes"))
        self.assertIn("/eu-west-1/execute-api/aws4_request", auth)

    def test_boto3_signs_for_its_own_service_without_it(self):
        self.session().client("networkflowmonitor", endpoint_url=self.endpoint).list_scopes()
        self.assertIn("/eu-west-1/networkflowmonitor/aws4_request", Capture.seen[-1][2])

    def test_the_aws_cli_signs_for_execute_api_with_the_plugin(self):
        with tempfile.TemporaryDirectory() as home:
            config = os.path.join(home, "config")
            with open(config, "w") as f:
                # AWS CLI v1 imports plugins from PYTHONPATH (v2 reads cli_legacy_plugin_path instead).
                f.write("[default]\nregion = eu-west-1\n\n[plugins]\nexecute_api_signing = execute_api_signing\n")
            env = dict(os.environ, AWS_CONFIG_FILE=config, AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                       AWS_SECRET_ACCESS_KEY="secret", PYTHONPATH=HERE)
            env.pop("AWS_REGION", None)
            env.pop("AWS_DEFAULT_REGION", None)
            subprocess.run(["aws", "networkflowmonitor", "list-scopes", "--endpoint-url", self.endpoint],
                           env=env, check=True, capture_output=True)
        method, path, auth = Capture.seen[-1]
        self.assertEqual((method, path), ("GET", "/prod/scopes"))
        self.assertIn("/eu-west-1/execute-api/aws4_request", auth)


if __name__ == "__main__":
    sys.exit(unittest.main())
