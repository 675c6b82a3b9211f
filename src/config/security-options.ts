import { option, optionGroup } from "./option.js";
import { text } from "./option-kinds.js";

/** Authentication and TLS (src/server/auth/, src/server/tls-listener.ts). */
export const securityOptions = optionGroup("Security", {
  /**
   * The auth file: tokens, by their sha256, with their grants. With one, every call but health and
   * reflection needs "authorization: Bearer TOKEN"; SIGHUP reads it again. "" turns auth off.
   */
  authFile: option({
    flag: "auth-file",
    kind: text("FILE"),
    default: "",
    defaultText: "none (auth off)",
    help: "tokens and their grants; every call then needs a token (SIGHUP reloads it)",
  }),
  /** PEM certificate (chain) of the server; with tlsKey, the port serves TLS only. "" for cleartext. */
  tlsCert: option({
    flag: "tls-cert",
    kind: text("FILE"),
    default: "",
    defaultText: "none (cleartext)",
    help: "PEM certificate: serve TLS (HTTP/2 by ALPN and HTTP/1.1) on the port",
  }),
  /** PEM private key of tlsCert. */
  tlsKey: option({
    flag: "tls-key",
    kind: text("FILE"),
    default: "",
    defaultText: "none",
    help: "PEM key of --tls-cert",
  }),
  /** PEM CA certificate(s) that must have signed every client's certificate (mTLS); "" asks for none. */
  tlsClientCa: option({
    flag: "tls-client-ca",
    kind: text("FILE"),
    default: "",
    defaultText: "none",
    help: "require client certificates signed by this CA (mTLS)",
  }),
});
