/**
 * Python's pickle format, data only: anykv writes protocol 4 that Python
 * loads into the equal value, and reads protocols 0–5 (pickle, cloudpickle)
 * without ever executing anything. See pickle-reader.ts for what is refused.
 */
export type { PickleLimits } from "./pickle-limits.js";
export { defaultPickleLimits } from "./pickle-limits.js";
export { decodePickle } from "./pickle-reader.js";
export { encodePickle } from "./pickle-writer.js";
export { isPickle } from "./sniff.js";
