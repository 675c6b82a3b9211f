"""anykv from Python's grpcio over TLS with a client certificate and a bearer token.

Usage: python3 test/python/tls_auth_client.py HOST:PORT CA CERT KEY TOKEN NAMESPACE

No generated stubs: it calls StoreService/Exists with a hand-encoded request (field 1
namespace, field 2 key) and prints one JSON line with the status code names it got without a
token, with a wrong one and with TOKEN.
"""

import json
import sys

import grpc

addr, ca, cert, key, token, namespace = sys.argv[1:7]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def field(number, text):
    data = text.encode()
    return bytes([number << 3 | 2, len(data)]) + data


credentials = grpc.ssl_channel_credentials(
    root_certificates=read(ca), private_key=read(key), certificate_chain=read(cert)
)
channel = grpc.secure_channel(addr, credentials, options=[("grpc.ssl_target_name_override", "localhost")])
exists = channel.unary_unary(
    "/anykv.v1.StoreService/Exists",
    request_serializer=lambda b: b,
    response_deserializer=lambda b: b,
)
request = field(1, namespace) + field(2, "py/key")
seen = {}
for label, metadata in [
    ("none", []),
    ("wrong", [("authorization", "Bearer " + "0" * 64)]),
    ("valid", [("authorization", "Bearer " + token)]),
]:
    try:
        exists(request, metadata=metadata, timeout=10)
        seen[label] = "OK"
    except grpc.RpcError as err:
        seen[label] = err.code().name
print(json.dumps(seen))
