import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./tools.js";

/** A certificate and its key: PEM files, and their contents. */
export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

/** What a TLS test needs, made fresh by openssl in `dir`. */
export interface TestPki {
  /** The CA that signed `server` and `client`. */
  readonly ca: CertFiles;
  /** The server's certificate, for 127.0.0.1 and localhost. */
  readonly server: CertFiles;
  /** A client certificate `ca` signed. */
  readonly client: CertFiles;
  /** A client certificate another CA signed: a server that trusts `ca` refuses it. */
  readonly strangerClient: CertFiles;
  /** That other CA, self-signed: clients trusting it refuse `server`. */
  readonly strangerCa: CertFiles;
}

/**
 * Makes a CA, a server certificate and client certificates with the openssl command line (EC
 * P-256 keys: quick), valid for a day. Nothing is shared between test files.
 */
export async function makeTestPki(dir: string): Promise<TestPki> {
  const ca = await selfSigned(dir, "ca", "anykv test CA");
  const strangerCa = await selfSigned(dir, "stranger-ca", "another CA");
  const server = await signed(dir, "server", "localhost", ca, [
    "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost",
    "extendedKeyUsage=serverAuth",
  ]);
  const client = await signed(dir, "client", "anykv test client", ca, ["extendedKeyUsage=clientAuth"]);
  const strangerClient = await signed(dir, "stranger-client", "stranger", strangerCa, [
    "extendedKeyUsage=clientAuth",
  ]);
  return { ca, server, client, strangerClient, strangerCa };
}

async function openssl(args: readonly string[]): Promise<void> {
  const result = await run("openssl", args);
  if (result.code !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${result.stderr}`);
}

const NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function selfSigned(dir: string, name: string, subject: string): Promise<CertFiles> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await openssl([
    "req",
    "-x509",
    ...NEW_KEY,
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "1",
    "-subj",
    `/CN=${subject}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return files(certFile, keyFile);
}

async function signed(
  dir: string,
  name: string,
  subject: string,
  ca: CertFiles,
  extensions: readonly string[],
): Promise<CertFiles> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${["basicConstraints=CA:FALSE", ...extensions].join("\n")}\n`);
  await openssl(["req", ...NEW_KEY, "-keyout", keyFile, "-out", csr, "-subj", `/CN=${subject}`]);
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-set_serial",
    `0x${Math.floor(Math.random() * 2 ** 48).toString(16)}`,
    "-days",
    "1",
    "-extfile",
    ext,
    "-out",
    certFile,
  ]);
  return files(certFile, keyFile);
}

function files(certFile: string, keyFile: string): CertFiles {
  return { certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}
