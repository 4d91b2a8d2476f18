"""Sign boto3 and AWS CLI requests for this API's deployed endpoint.

API Gateway's IAM authorisation checks SigV4 signatures made for the service name
``execute-api``, while each SDK client signs with its own (``networkflowmonitor``, ``es``,
``macie2``). botocore lets a ``before-sign`` handler override the signing name through the
request context; this module registers such a handler for the three services this API serves.

boto3::

    import boto3, execute_api_signing
    session = boto3.Session()
    execute_api_signing.register(session)
    nfm = session.client("networkflowmonitor", endpoint_url=API_URL)

AWS CLI (v1 or v2), in ~/.aws/config, with this folder on PYTHONPATH (v1) or named by
``cli_legacy_plugin_path`` (v2)::

    [plugins]
    execute_api_signing = execute_api_signing
"""

SIGNING_NAME = "execute-api"

# botocore service IDs, hyphenised, of the services this API serves.
SERVICES = ("networkflowmonitor", "opensearch", "macie2")


def _sign_for_execute_api(request, **_kwargs):
    request.context.setdefault("signing", {})["signing_name"] = SIGNING_NAME


def _register(events):
    for service in SERVICES:
        events.register(f"before-sign.{service}", _sign_for_execute_api, unique_id=f"execute-api-signing-{service}")


def register(session):
    """Make clients of a boto3 or botocore session sign for execute-api."""
    events = session.events if hasattr(session, "events") else session.get_component("event_emitter")
    _register(events)


def awscli_initialize(cli):
    """AWS CLI plugin entry point."""
    _register(cli)
