import type { Backend } from "../../src/backend/backend.js";
import { createPrefixedBackend } from "../../src/backend/prefixed-backend.js";
import { type BackendFactory, backendFactories, leveldbFactory } from "../support/backends.js";
import { backendSuite } from "./backend-suite.js";

/** The suite again on a namespaced view, as abstract-level runs its suite on a sublevel. */
function prefixed(inner: BackendFactory): BackendFactory {
  const parents = new WeakMap<Backend, Backend>();
  const view = (parent: Backend): Backend => {
    const v = { ...createPrefixedBackend(parent, "dns\u0000"), close: () => parent.close() };
    parents.set(v, parent);
    return v;
  };
  const { reopen, attach } = inner;
  return {
    name: `${inner.name} (prefixed view)`,
    async create() {
      const parent = await inner.create();
      // Noise outside the view must stay invisible to it.
      await parent.write([
        { type: "put", key: "dnr\u0000zzz", record: { value: new Uint8Array(), meta: noiseMeta } },
        { type: "put", key: "dnt\u0000aaa", record: { value: new Uint8Array(), meta: noiseMeta } },
      ]);
      return view(parent);
    },
    ...(reopen ? { reopen: async (b: Backend) => view(await reopen(parents.get(b)!)) } : {}),
    ...(attach ? { attach: async (b: Backend) => view(await attach(parents.get(b)!)) } : {}),
  };
}

const noiseMeta = { codec: "", kind: "", model: "", contentType: "", createdAt: 0, updatedAt: 0 };

for (const factory of backendFactories) {
  backendSuite(factory);
  backendSuite(prefixed(factory));
}
// LevelDB's other durability setting only changes how a group reaches the disk.
backendSuite(leveldbFactory("none"));
