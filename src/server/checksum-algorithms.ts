import { ChecksumAlgorithm } from "../../gen/anykv/v1/store_pb.js";

/**
 * The digests anykv computes, as node:crypto names them: exactly the ChecksumAlgorithm enum of
 * the API (CHECKSUM_ALGORITHM_UNSPECIFIED is SHA-256). The anystore HTTP API takes the same
 * names in its `algorithm` parameter.
 */
export const CHECKSUM_ALGORITHMS: Readonly<Record<ChecksumAlgorithm, string>> = {
  [ChecksumAlgorithm.UNSPECIFIED]: "sha256",
  [ChecksumAlgorithm.MD5]: "md5",
  [ChecksumAlgorithm.SHA1]: "sha1",
  [ChecksumAlgorithm.SHA224]: "sha224",
  [ChecksumAlgorithm.SHA256]: "sha256",
  [ChecksumAlgorithm.SHA384]: "sha384",
  [ChecksumAlgorithm.SHA512]: "sha512",
  [ChecksumAlgorithm.SHA3_256]: "sha3-256",
  [ChecksumAlgorithm.SHA3_512]: "sha3-512",
};

/** The algorithm names, for messages and the anystore HTTP API. */
export const CHECKSUM_NAMES: ReadonlySet<string> = new Set(Object.values(CHECKSUM_ALGORITHMS));
