import { writeFileSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import { join } from "node:path";
import tls from "node:tls";
import { Code, ConnectError } from "@connectrpc/connect";
import { beforeAll, describe, expect, it } from "vitest";
import { createStore } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { testToken, writeAuthFile } from "../support/auth-file.js";
import { type CertFiles, makeTestPki, type TestPki } from "../support/certificates.js";
import { runCli, spawnServer } from "../support/cli-process.js";
import { PROTOCOLS, transportFor } from "../support/protocols.js";
import { startTestServer, uniqueKey } from "../support/server.js";
import { tempDir } from "../support/temp-dir.js";
import { run } from "../support/tools.js";

// TLS and mTLS on anykv's one port, with certificates openssl makes for this file.
const user = testToken("user", [{ namespace: "*", access: "write" }]);
const other = testToken("other", [{ namespace: "*", access: "read" }]);
let dir: string;
let pki: TestPki;
let server: RunningServer; // TLS and tokens
let mutual: RunningServer; // TLS with client certificates (mTLS), no tokens
beforeAll(async () => {
  dir = tempDir();
  pki = await makeTestPki(dir);
  const authFile = writeAuthFile(join(dir, "auth.json"), [user, other]);
  const files = { tlsCert: pki.server.certFile, tlsKey: pki.server.keyFile, backend: "memory" as const };
  server = await startTestServer({ ...files, authFile });
  mutual = await startTestServer({ ...files, tlsClientCa: pki.ca.certFile });
});

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("the call succeeded");
}

/** An HTTPS request with Node's https (fetch takes no CA), answered with status and body. */
function httpsRequest(
  url: string,
  options: https.RequestOptions & { body?: string },
): Promise<{ status: number; body: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...options, agent: false }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          alpn: (res.socket as tls.TLSSocket).alpnProtocol ?? false,
        }),
      );
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("TLS on the one port", () => {
  it("names itself https and serves every protocol over TLS: HTTP/2 by ALPN for gRPC, HTTP/1.1 for the others", async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    for (const protocol of PROTOCOLS) {
      const store = createStore({
        baseUrl: server.url,
        namespace: `tls-${protocol}`,
        transport: transportFor(server.url, protocol, { token: user.token, ca: pki.ca.cert }),
      });
      const key = uniqueKey();
      await store.put(key, { over: protocol });
      expect(await store.get(key)).toEqual({ over: protocol });
      // Tokens are checked over TLS as in cleartext.
      const anonymous = createStore({
        baseUrl: server.url,
        transport: transportFor(server.url, protocol, { ca: pki.ca.cert }),
      });
      expect((await failure(anonymous.get(key))).code).toBe(Code.Unauthenticated);
    }
  });

  it("the Node client takes the CA and the token as options", async () => {
    const store = createStore({ baseUrl: server.url, token: user.token, tls: { ca: pki.ca.cert } });
    await store.put("client/options", "yes");
    expect(await store.get("client/options")).toBe("yes");
  });

  it("a client that does not trust the server's CA, and a cleartext client, are refused", async () => {
    const untrusting = createStore({
      baseUrl: server.url,
      token: user.token,
      tls: { ca: pki.strangerCa.cert },
    });
    // connect-node reports a TLS failure as INTERNAL with OpenSSL's reason.
    expect((await failure(untrusting.get("k"))).message).toMatch(
      /unable to verify the first certificate|self-signed certificate in certificate chain/,
    );
    // A cleartext client's bytes are no TLS handshake: the connection is closed.
    const cleartext = createStore({ baseUrl: server.url.replace("https", "http"), token: user.token });
    await failure(cleartext.get("k"));
  });

  it("the anystore HTTP API over HTTPS, by ALPN (h2 and http/1.1) and without ALPN", async () => {
    const url = `${server.url}/anystore/tls/http`;
    const auth = { authorization: `Bearer ${user.token}` };
    // ALPN http/1.1
    const alpn = { ca: pki.ca.cert, ALPNProtocols: ["http/1.1"] };
    const put = await httpsRequest(url, { ...alpn, method: "PUT", headers: auth, body: "over tls" });
    expect(put).toMatchObject({ status: 201, alpn: "http/1.1" });
    expect((await httpsRequest(url, alpn)).status).toBe(401);
    // Node's https offers no ALPN: such a connection is sniffed, as cleartext ones are.
    const get = await httpsRequest(url, { ca: pki.ca.cert, headers: auth });
    expect(get).toEqual({ status: 200, body: "over tls", alpn: false });
    // HTTP/2 by ALPN, through the same front (Host check, CORS, anystore API) as HTTP/1.1.
    const session = http2.connect(server.url, { ca: pki.ca.cert, servername: "localhost" });
    try {
      const stream = session.request({ ":path": "/anystore/tls/http", ...auth });
      const [headers, body] = await Promise.all([
        new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once("response", resolve)),
        (async () => {
          let text = "";
          for await (const chunk of stream) text += String(chunk);
          return text;
        })(),
      ]);
      expect(headers[":status"]).toBe(200);
      expect(body).toBe("over tls");
      expect(session.alpnProtocol).toBe("h2");
    } finally {
      session.close();
    }
    // HTTP/2 over TLS without ALPN (prior knowledge): the preface is sniffed.
    const socket = tls.connect({
      port: server.port,
      host: "127.0.0.1",
      ca: pki.ca.cert,
      servername: "localhost",
    });
    const bare = http2.connect(server.url, { createConnection: () => socket });
    try {
      const stream = bare.request({ ":path": "/anystore/tls/http", ...auth });
      const status = await new Promise((resolve) => stream.once("response", (h) => resolve(h[":status"])));
      stream.resume();
      expect(status).toBe(200);
      expect(socket.alpnProtocol).toBe(false);
    } finally {
      bare.close();
    }
  });

  it("grpcurl with -cacert and -H", async () => {
    const addr = `127.0.0.1:${server.port}`;
    const tlsArgs = ["-cacert", pki.ca.certFile, "-authority", "localhost"];
    const list = await run("grpcurl", [...tlsArgs, addr, "list"]); // reflection stays open
    expect(list.stderr).toBe("");
    expect(list.stdout).toContain("anykv.v1.StoreService");
    const put = await run("grpcurl", [
      ...tlsArgs,
      "-H",
      `authorization: Bearer ${user.token}`,
      "-d",
      JSON.stringify({ namespace: "tls", key: "grpcurl", value: { text: "v" } }),
      addr,
      "anykv.v1.StoreService/Put",
    ]);
    expect(put.stderr).toBe("");
    expect(JSON.parse(put.stdout)).toMatchObject({ stored: true });
    const untrusted = await run("grpcurl", ["-cacert", pki.strangerCa.certFile, addr, "list"]);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/certificate/);
  });
});

describe("mTLS (--tls-client-ca)", () => {
  const storeWith = (cert: { cert: string; key: string } | undefined) =>
    createStore({
      baseUrl: mutual.url,
      tls: { ca: pki.ca.cert, ...(cert && { cert: cert.cert, key: cert.key }) },
    });

  it("serves a client whose certificate the CA signed", async () => {
    const store = storeWith(pki.client);
    await store.put("mtls/k", 1);
    expect(await store.get("mtls/k")).toBe(1);
  });

  it("refuses a client with another CA's certificate, or with none, and stores nothing for it", async () => {
    // No certificate: the client hears TLS alert 116 "certificate required". Another CA's: the
    // server closes the connection once it has checked it (TLS 1.3 checks after the client's
    // Finished, so the client may already have sent its call: connect-node reports CANCELED).
    expect((await failure(storeWith(undefined).put("mtls/refused", 1))).message).toContain(
      "alert certificate required",
    );
    await failure(storeWith(pki.strangerClient).put("mtls/refused", 1));
    expect(await storeWith(pki.client).exists("mtls/refused")).toBe(false);
    // grpcurl with the CA's client certificate lists the services; with the other one it cannot connect.
    const grpcurl = (cert: CertFiles) =>
      run("grpcurl", [
        "-connect-timeout",
        "2",
        "-cacert",
        pki.ca.certFile,
        "-authority",
        "localhost",
        "-cert",
        cert.certFile,
        "-key",
        cert.keyFile,
        `127.0.0.1:${mutual.port}`,
        "list",
      ]);
    expect((await grpcurl(pki.client)).stdout).toContain("anykv.v1.StoreService");
    const refused = await grpcurl(pki.strangerClient);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe("");
  });

  it("Python grpcio with a client certificate and a token", async () => {
    const both = await startTestServer({
      backend: "memory",
      tlsCert: pki.server.certFile,
      tlsKey: pki.server.keyFile,
      tlsClientCa: pki.ca.certFile,
      authFile: writeAuthFile(join(dir, "auth-python.json"), [user]),
    });
    const result = await run("python3", [
      "test/python/tls_auth_client.py",
      `127.0.0.1:${both.port}`,
      pki.ca.certFile,
      pki.client.certFile,
      pki.client.keyFile,
      user.token,
      "py",
    ]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      none: "UNAUTHENTICATED",
      wrong: "UNAUTHENTICATED",
      valid: "OK",
    });
  });
});

describe("anykv serve with --auth-file and TLS, as a process", () => {
  it("kill -HUP reloads the auth file: a removed token is refused afterwards; a bad file keeps the old tokens", async () => {
    const authFile = writeAuthFile(join(dir, "auth-process.json"), [user, other]);
    const proc = await spawnServer([
      "--backend",
      "memory",
      "--auth-file",
      authFile,
      "--tls-cert",
      pki.server.certFile,
      "--tls-key",
      pki.server.keyFile,
    ]);
    expect(proc.url).toMatch(/^https:/);
    const as = (token: string) => createStore({ baseUrl: proc.url, token, tls: { ca: pki.ca.cert } });
    await as(user.token).put("hup/k", "before");
    expect(await as(other.token).get("hup/k")).toBe("before");

    const hangup = async (line: RegExp) => {
      const seen = proc.output().length;
      proc.child.kill("SIGHUP");
      const deadline = Date.now() + 10_000;
      while (!line.test(proc.output().slice(seen))) {
        if (Date.now() > deadline) throw new Error(`no ${line} after SIGHUP:\n${proc.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    // The CLI takes the token and the CA as global options.
    const cli = await runCli([
      "get",
      "hup/k",
      "--url",
      proc.url,
      "--token",
      other.token,
      "--ca",
      pki.ca.certFile,
    ]);
    expect(cli).toMatchObject({ code: 0, output: "before\n" });
    const anonymous = await runCli(["get", "hup/k", "--url", proc.url, "--ca", pki.ca.certFile]);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.output).toContain("requires a token");

    writeAuthFile(authFile, [other]);
    await hangup(/SIGHUP: read the auth file/);
    expect((await failure(as(user.token).put("hup/k", "after"))).code).toBe(Code.Unauthenticated);
    expect(await as(other.token).get("hup/k")).toBe("before");

    writeFileSync(authFile, "{ not json");
    await hangup(/SIGHUP: could not reload \(auth file .*not JSON/);
    expect(await as(other.token).get("hup/k")).toBe("before");
    for (const t of [user, other]) expect(proc.output()).not.toContain(t.token);
    expect(await proc.stop()).toBe(0);
  });

  it("refuses to start with a certificate but no key, or with an auth file that does not parse, and says why", async () => {
    const noKey = await spawnServer(["--tls-cert", pki.server.certFile]).catch((err: Error) => err.message);
    // The option table names each option with where it came from (config's checks, src/config/).
    expect(noKey).toMatch(/TLS needs both a certificate and its key: --tls-cert .* and .*--tls-key/);
    const bad = join(dir, "bad-auth.json");
    writeFileSync(
      bad,
      JSON.stringify({
        tokens: [{ name: "x", sha256: "a".repeat(64), grants: [{ namespace: "app/*", access: "owner" }] }],
      }),
    );
    const badFile = await spawnServer(["--auth-file", bad]).catch((err: Error) => err.message);
    expect(badFile).toContain(
      `auth file ${bad}: tokens[0].grants[0]: "access" must be read, write, admin, not "owner"`,
    );
  });
});
