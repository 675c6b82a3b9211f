"""anystore 1.5.x (putfs://, `anystore[http,putfs]`) against anykv's HTTP API.

Usage: PUTFS_HTTPS=false python test/python/anystore_putfs_client.py BASE_URI
  e.g. putfs://127.0.0.1:50051/anystore   (run with .tools/venv-putfs/bin/python)

Stores, reads, lists (putfs lists with the HTTP QUERY method), checks and deletes keys
through anystore's own store over putfs's fsspec filesystem, asserting as it goes, and prints
one JSON line of what it saw for the calling vitest test to cross-check over gRPC.
"""

import hashlib
import json
import sys
from datetime import datetime, timezone

from anystore import get_store
from anystore.exceptions import DoesNotExist

store = get_store(uri=sys.argv[1], serialization_mode="auto")
seen = {}

store.put("docs/a.json", {"a": 1, "list": [1, 2]})
store.put("docs/b.txt", "hello putfs")
store.put("docs/sub/c.json", [1, 2, 3])
store.put("docs/sub/deeper/d.csv", "x,y\n1,2\n")
store.put("other/raw.bin", b"\x00\x01\xfe\xff")
store.put("gone", "bye")

assert store.get("docs/a.json") == {"a": 1, "list": [1, 2]}
assert store.get("docs/b.txt") == "hello putfs"
assert store.get("other/raw.bin", serialization_mode="raw") == b"\x00\x01\xfe\xff"
seen["from_grpc"] = store.get("from-grpc/value")

assert store.exists("docs/a.json")
assert not store.exists("docs/missing.json")
store.delete("gone")
assert not store.exists("gone")
try:
    store.get("gone")
    raise AssertionError("a deleted key answered")
except DoesNotExist:
    seen["deleted_get"] = "DoesNotExist"

# iterate_keys: putfs sends QUERY (depth in the body) and matches the glob itself
keys = lambda **kw: sorted(store.iterate_keys(**kw))  # noqa: E731
seen["all_keys"] = [k for k in keys() if not k.startswith("from-grpc")]
seen["prefix_docs"] = keys(prefix="docs")
seen["depth_1"] = keys(prefix="docs", depth=1)
seen["depth_2"] = keys(prefix="docs", depth=2)
seen["glob_json"] = keys(prefix="docs", glob="**/*.json")
seen["glob_class"] = keys(prefix="docs", glob="**/[a-c].json")
seen["exclude"] = keys(prefix="docs", exclude_prefix="docs/sub")

# info: the mimetype anykv guesses from the extension (the value was put without one)
info = store.info("docs/a.json")
seen["info"] = {"name": info.name, "size": info.size, "mimetype": info.mimetype}
seen["checksum"] = store.checksum("docs/b.txt", algorithm="sha256")

# streaming: a value larger than anykv's chunk, written through putfs's streaming PUT and read back
big = bytes(range(256)) * (5 * 1024 * 4 + 3)  # 5 MiB and a bit
with store.open("big/blob.bin", "wb") as fh:
    for start in range(0, len(big), 1 << 20):
        fh.write(big[start : start + (1 << 20)])
assert store.get("big/blob.bin", serialization_mode="raw") == big
seen["big"] = {"size": len(big), "sha256": hashlib.sha256(big).hexdigest()}
seen["big_lines"] = sum(1 for _ in store.stream("docs/sub/deeper/d.csv", serialization_mode="raw"))

# putfs's own listing of immediate children, with sizes and times (QUERY "1 dirs stat")
children = store._fs.list_children(f"{store.uri}/docs", stat=True)
seen["children"] = sorted([c.name, c.is_dir, c.size if not c.is_dir else None] for c in children)
assert all(c.mtime and c.mtime > 1e9 for c in children)

before = datetime.now(timezone.utc)
touched = store.touch("touched")
assert touched >= before

try:
    store.put("docs/../../escape", "x")
    seen["traversal"] = "stored"
except Exception as err:
    seen["traversal"] = type(err).__name__

print(json.dumps(seen))
