import { join } from "node:path";
import type { Backend } from "../../src/backend/backend.js";
import { openLevelBackend } from "../../src/backend/leveldb-backend.js";
import { createMemoryBackend } from "../../src/backend/memory-backend.js";
import { createPrefixedBackend } from "../../src/backend/prefixed-backend.js";
import { tempDir } from "../support/temp-dir.js";
import { type BackendFactory, backendSuite } from "./backend-suite.js";

const root = tempDir();
let n = 0;
const locations = new WeakMap<Backend, string>();

/** LevelDB with each durability setting: the sync only changes how a group reaches the disk. */
const leveldb = (sync: "always" | "none"): BackendFactory => ({
  name: `leveldb (sync ${sync})`,
  async create() {
    const location = join(root, `db${n++}`);
    const backend = await openLevelBackend({ location, sync });
    locations.set(backend, location);
    return backend;
  },
  async reopen(backend) {
    const location = locations.get(backend)!;
    await backend.close();
    return openLevelBackend({ location, sync });
  },
});

const memory: BackendFactory = { name: "memory", create: async () => createMemoryBackend() };

/** The suite again on a namespaced view, as abstract-level runs its suite on a sublevel. */
function prefixed(inner: BackendFactory): BackendFactory {
  const parents = new WeakMap<Backend, Backend>();
  const view = (parent: Backend): Backend => {
    const v = { ...createPrefixedBackend(parent, "dns\u0000"), close: () => parent.close() };
    parents.set(v, parent);
    return v;
  };
  const reopen = inner.reopen;
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
  };
}

const noiseMeta = { codec: "", kind: "", model: "", contentType: "", createdAt: 0, updatedAt: 0 };

backendSuite(memory);
backendSuite(leveldb("always"));
backendSuite(leveldb("none"));
backendSuite(prefixed(memory));
backendSuite(prefixed(leveldb("always")));
