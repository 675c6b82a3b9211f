"""A pydantic model's JSON Schema registered with anykv by a Python gRPC client.

Usage: python3 test/python/models_client.py HOST:PORT STUBS_DIR

Defines a pydantic model, registers Model.model_json_schema() through
anykv.v1.ModelService (stubs from scripts/gen-python.sh), puts a valid and an
invalid value, reads the google.rpc.BadRequest details of the refusal, and
prints one JSON line with what it saw for the calling vitest test.
"""

import json
import sys
from datetime import datetime
from typing import Literal

addr, stubs = sys.argv[1], sys.argv[2]
sys.path.insert(0, stubs)

import grpc  # noqa: E402
from google.protobuf import json_format, struct_pb2  # noqa: E402
from google.rpc import error_details_pb2  # noqa: E402
from grpc_status import rpc_status  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402

from anykv.v1 import model_pb2, model_pb2_grpc, store_pb2, store_pb2_grpc, value_pb2  # noqa: E402


class Address(BaseModel):
    city: str = Field(min_length=1)
    zip: str = Field(pattern=r"^[0-9]{5}$")


class Person(BaseModel):
    name: str = Field(min_length=1)
    age: int = Field(ge=0, le=150)
    kind: Literal["staff", "guest"] = "guest"
    address: Address
    tags: list[str] = []
    born: datetime | None = None


schema = Person.model_json_schema()
seen = {"schema_keys": sorted(schema)}
with grpc.insecure_channel(addr) as channel:
    models = model_pb2_grpc.ModelServiceStub(channel)
    store = store_pb2_grpc.StoreServiceStub(channel)

    struct = struct_pb2.Struct()
    struct.update(schema)
    res = models.RegisterModels(
        model_pb2.RegisterModelsRequest(json_schemas=[model_pb2.JsonSchemaModel(name="py.Person", schema=struct)])
    )
    seen["registered"] = [(m.name, model_pb2.ModelKind.Name(m.kind)) for m in res.models]

    def json_value(obj):
        v = struct_pb2.Value()
        json_format.ParseDict(obj, v)
        return value_pb2.Value(json=v)

    valid = Person(name="Ada", age=36, address=Address(city="London", zip="12345")).model_dump(mode="json")
    put = store.Put(store_pb2.PutRequest(key="py/ada", value=json_value(valid), model="py.Person"))
    seen["put"] = {"model": put.info.model, "kind": put.info.kind}
    got = store.Get(store_pb2.GetRequest(key="py/ada", model="py.Person"))
    seen["got"] = json_format.MessageToDict(got.value.json)
    # What Python reads back validates as the pydantic model again.
    Person.model_validate(seen["got"])

    try:
        store.Put(
            store_pb2.PutRequest(
                key="py/bad", value=json_value({"name": "", "age": -1, "address": {"city": "x"}}), model="py.Person"
            )
        )
        seen["invalid"] = "accepted"
    except grpc.RpcError as err:
        status = rpc_status.from_call(err)
        fields = []
        for detail in status.details:
            bad = error_details_pb2.BadRequest()
            if detail.Unpack(bad):
                fields += [v.field for v in bad.field_violations]
        seen["invalid"] = {"code": err.code().name, "message": err.details(), "fields": fields}

print(json.dumps(seen))
