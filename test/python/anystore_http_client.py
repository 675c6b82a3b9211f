"""The real anystore package against anykv's anystore-compatible HTTP API.

Usage: python3 test/python/anystore_http_client.py BASE_URI
  e.g. anystore+http://127.0.0.1:50051/anystore

Stores, reads, lists, checks and deletes keys through anystore's own
`anystore+http://` filesystem (ApiFileSystem), asserting as it goes, and prints
one JSON line of what it saw for the calling vitest test to cross-check over gRPC.
"""

import json
import sys
from datetime import datetime, timezone

from anystore import get_store
from anystore.exceptions import DoesNotExist

store = get_store(uri=sys.argv[1], serialization_mode="auto")
seen = {}

# put: anystore serializes client-side (auto: bytes as is, str encoded, else JSON)
store.put("docs/a.json", {"a": 1, "list": [1, 2]})
store.put("docs/b.txt", "hello anystore")
store.put("docs/sub/c.json", [1, 2, 3])
store.put("other/raw.bin", b"\x00\x01\xfe\xff")
store.put("gone", "bye")

# get: what was put comes back
assert store.get("docs/a.json") == {"a": 1, "list": [1, 2]}
assert store.get("docs/b.txt") == "hello anystore"
assert store.get("other/raw.bin", serialization_mode="raw") == b"\x00\x01\xfe\xff"
# a value the vitest test put over gRPC, read as its stored bytes
seen["from_grpc"] = store.get("from-grpc/value")
seen["from_grpc_raw"] = store.get("from-grpc/value", serialization_mode="raw").decode()

# exists and delete
assert store.exists("docs/a.json")
assert not store.exists("docs/missing.json")
store.delete("gone")
assert not store.exists("gone")
try:
    store.get("gone")
    raise AssertionError("a deleted key answered")
except DoesNotExist:
    seen["deleted_get"] = "DoesNotExist"
assert store.get("gone", raise_on_nonexist=False) is None

# iterate_keys: all, by prefix, by glob (relative to the prefix)
seen["all_keys"] = sorted(k for k in store.iterate_keys() if not k.startswith("from-grpc"))
seen["prefix_docs"] = sorted(store.iterate_keys(prefix="docs"))
seen["glob_json"] = sorted(store.iterate_keys(prefix="docs", glob="**/*.json"))
seen["glob_top"] = sorted(store.iterate_keys(prefix="docs", glob="*.txt"))
seen["exclude"] = sorted(store.iterate_keys(prefix="docs", exclude_prefix="docs/sub"))

# info and checksum (sha256 over ranged reads, and sha1)
info = store.info("docs/b.txt")
seen["info"] = {"name": info.name, "size": info.size, "key": info.key}
assert info.updated_at is not None
seen["checksum"] = store.checksum("docs/b.txt")
seen["checksum_md5"] = store.checksum("docs/b.txt", algorithm="md5")

# touch: anystore stores the time itself (as JSON) and returns it
before = datetime.now(timezone.utc)
touched = store.touch("touched")
assert touched >= before
seen["touched"] = touched.isoformat()
got = store.get("touched")  # anystore reads the JSON string back as a datetime
seen["touched_get"] = got.isoformat() if isinstance(got, datetime) else got

# keys are checked by anykv's rules: path traversal is refused
try:
    store.put("docs/../../escape", "x")
    seen["traversal"] = "stored"
except Exception as err:  # anystore or aiohttp refuse it; either way nothing is stored
    seen["traversal"] = type(err).__name__

print(json.dumps(seen))
