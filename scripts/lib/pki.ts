// A small X.509 authority for development and tests: a CA, workload certificates in the
// SPIFFE X.509-SVID shape (URI SAN spiffe://<trust-domain>/ns/<ns>/sa/<sa>), and the files
// laid out the way the kubelet mounts a cert-manager Secret (tls.crt, tls.key, ca.crt
// behind a `..data` symlink swapped atomically on update).
import 'reflect-metadata'; // @peculiar/x509's dependency injection (tsyringe) needs it
import * as x509 from '@peculiar/x509';
import { mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate as NodeX509Certificate, type webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const HOUR = 3_600_000;

export interface Authority {
  name: string;
  certPem: string;
  /** Hex serial number, as Node's `X509Certificate.serialNumber` prints it. */
  serial: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

export interface Issued {
  certPem: string;
  keyPem: string;
  /** Hex serial number, as `openssl x509 -serial` and Node's `X509Certificate.serialNumber` print it. */
  serial: string;
}

export interface Validity {
  notBefore?: Date;
  notAfter?: Date;
}

export interface WorkloadOptions extends Validity {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** URI SANs; the SPIFFE id of the workload. */
  uris?: string[];
}

export const spiffeId = (trustDomain: string, namespace: string, serviceAccount: string): string =>
  `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;

const newKeys = () => crypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

function serialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x10; // positive, and no leading zero byte to trim
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key)).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/** A self-signed CA (valid from an hour ago for 30 days unless told otherwise). */
export async function createAuthority(name: string, validity: Validity = {}): Promise<Authority> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys,
    serialNumber: serialNumber(),
    notBefore: validity.notBefore ?? new Date(Date.now() - HOUR),
    notAfter: validity.notAfter ?? new Date(Date.now() + 30 * 24 * HOUR),
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = cert.toString('pem') + '\n';
  return { name, certPem, serial: new NodeX509Certificate(certPem).serialNumber, cert, keys };
}

/** A workload certificate for server and client authentication (valid 24 h by default). */
export async function issue(ca: Authority, options: WorkloadOptions): Promise<Issued> {
  const keys = await newKeys();
  const serial = serialNumber();
  const names: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(options.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${options.commonName}`,
    issuer: ca.cert.subject,
    notBefore: options.notBefore ?? new Date(Date.now() - HOUR),
    notAfter: options.notAfter ?? new Date(Date.now() + 24 * HOUR),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await pkcs8Pem(keys.privateKey), serial };
}

/**
 * Writes `files` into `dir` the way the kubelet updates a mounted Secret: a new
 * timestamped directory, a `..data` symlink renamed over the old one in one step, and each
 * file a symlink through `..data`. A reader never sees a certificate with another key.
 */
export function writeSecretVolume(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  const version = `..${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  mkdirSync(join(dir, version));
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(dir, version, name), content, { mode: 0o600 });
  let previous: string | undefined;
  try {
    previous = readlinkSync(join(dir, '..data'));
  } catch {
    previous = undefined;
  }
  symlinkSync(version, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  const present = new Set(readdirSync(dir));
  for (const name of Object.keys(files)) if (!present.has(name)) symlinkSync(join('..data', name), join(dir, name));
  if (previous) rmSync(join(dir, previous), { recursive: true, force: true });
}

/** The files of a cert-manager Secret of type kubernetes.io/tls. */
export const tlsSecretFiles = (issued: Issued, caBundlePem: string): Record<string, string> => ({
  'tls.crt': issued.certPem,
  'tls.key': issued.keyPem,
  'ca.crt': caBundlePem,
});
