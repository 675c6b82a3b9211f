"""The CPython side of test/codec/pickle/cpython.test.ts.

Reads one JSON request on stdin and writes one JSON answer on stdout, so that a
test file needs a single python3 process however many values it checks:

  request:  {"cases": [{"name", "spec", "ours": base64 pickle from encodePickle}],
             "protocols": [0, 1, ...]}
  answer:   {"cases": [{"name", "loads_equal", "loaded", "expected", "same_bytes",
                        "dis_error", "dumps": {"0": base64, ..., "cloudpickle": base64}}],
             "refused": {"lambda": base64, "zoneinfo": base64, "reduce_class": base64}}

A spec is tagged JSON for one value (see matrix.ts, spec()).
"""

import base64
import datetime
import io
import json
import pickle
import pickletools
import sys

try:
    import cloudpickle
except ImportError:
    sys.stderr.write("cloudpickle is not installed for python3: run `pip install cloudpickle` "
                     "(or `pip install -r test/python/requirements.txt`)\n")
    sys.exit(3)

sys.setrecursionlimit(20000)


def tz(offset):
    if offset is None:
        return None
    if offset == 0:
        return datetime.timezone.utc
    return datetime.timezone(datetime.timedelta(seconds=offset))


def build(spec):
    t, v = spec["t"], spec.get("v")
    if t == "none":
        return None
    if t == "bool":
        return bool(v)
    if t == "int":
        return int(v)
    if t == "float":
        return float(v)
    if t == "str":
        return v
    if t == "bytes":
        return base64.b64decode(v)
    if t == "bytearray":
        return bytearray(base64.b64decode(v))
    if t == "list":
        return [build(x) for x in v]
    if t == "tuple":
        return tuple(build(x) for x in v)
    if t == "set":
        return {build(x) for x in v}
    if t == "frozenset":
        return frozenset(build(x) for x in v)
    if t == "dict":
        return {build(k): build(x) for k, x in v}
    if t == "datetime":
        return datetime.datetime(*v, tzinfo=tz(spec["tz"]))
    if t == "date":
        return datetime.date(*v)
    if t == "time":
        return datetime.time(*v, tzinfo=tz(spec["tz"]))
    if t == "timedelta":
        return datetime.timedelta(days=v[0], seconds=v[1], microseconds=v[2])
    if t == "code":
        return {"__anykv_code__": {"language": spec["language"], "source": spec["source"]}}
    raise ValueError("unknown spec type " + t)


def canon(v):
    """A type-strict, order-fixed description: 1, 1.0 and True differ; sets are sorted."""
    t = type(v)
    if v is None:
        return ["none"]
    if t in (bool, int, str):
        return [t.__name__, v if t is not int else str(v)]
    if t is float:
        return ["float", repr(v)]
    if t in (bytes, bytearray):
        return [t.__name__, base64.b64encode(bytes(v)).decode()]
    if t in (list, tuple):
        return [t.__name__, [canon(x) for x in v]]
    if t in (set, frozenset):
        return [t.__name__, sorted((canon(x) for x in v), key=json.dumps)]
    if t is dict:
        return ["dict", [[canon(k), canon(x)] for k, x in v.items()]]
    if t in (datetime.datetime, datetime.time):
        return [t.__name__, v.isoformat(), type(v.tzinfo).__name__]
    if t in (datetime.date, datetime.timedelta):
        return [t.__name__, repr(v)]
    return ["unexpected", repr(v)]


def b64(data):
    return base64.b64encode(data).decode()


def check(case, protocols):
    expected = build(case["spec"])
    ours = base64.b64decode(case["ours"])
    out = {"name": case["name"]}
    try:
        loaded = pickle.loads(ours)
        out["loads_equal"] = canon(loaded) == canon(expected)
        if not out["loads_equal"]:
            out["loaded"] = repr(loaded)[:2000]
            out["expected"] = repr(expected)[:2000]
    except Exception as e:  # reported, not raised: the test names the case
        out["loads_equal"] = False
        out["loaded"] = "pickle.loads raised " + repr(e)
    try:
        pickletools.dis(ours, out=io.StringIO())
        out["dis_error"] = None
    except Exception as e:
        out["dis_error"] = repr(e)
    out["same_bytes"] = pickle.dumps(expected, 4) == ours
    dumps = {str(p): b64(pickle.dumps(expected, p)) for p in protocols}
    dumps["cloudpickle"] = b64(cloudpickle.dumps(expected))
    out["dumps"] = dumps
    return out


class Evil:
    """Never instantiated by the reader: pickling it only writes os.system's name."""

    def __reduce__(self):
        import os
        return (os.system, ("echo should never run",))


def refused():
    import zoneinfo
    return {
        "lambda": b64(cloudpickle.dumps(lambda x: x + 1)),
        "zoneinfo": b64(pickle.dumps(datetime.datetime(2020, 1, 1, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")), 4)),
        "reduce_class": b64(pickle.dumps(Evil(), 2)),
    }


def main():
    request = json.load(sys.stdin)
    answer = {
        "cases": [check(c, request["protocols"]) for c in request["cases"]],
        "refused": refused(),
        "python": sys.version,
        "cloudpickle": cloudpickle.__version__,
    }
    json.dump(answer, sys.stdout)


main()
