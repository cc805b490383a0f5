import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { experimental, type ChannelCredentials, type ServerCredentials } from '@grpc/grpc-js';
import { Gauge, type Registry } from 'prom-client';
import type { TlsBaseConfig } from '../config/commonSchemas.js';
import type { Logger } from '../logger.js';
import { peerSpiffeId, spiffeIdOf } from './spiffeId.js';

/** This workload's certificate, key and trust bundle, re-read from disk as they rotate. */
export interface WorkloadTls {
  /** Resolves once the files have been read for the first time, whatever they held. */
  readonly loaded: Promise<void>;
  /** Why the material cannot serve now (expired, unreadable, key mismatch…); undefined when it can. */
  problem(): string | undefined;
  /** mTLS server credentials: a client certificate that chains to the trust bundle is required. */
  serverCredentials(): ServerCredentials;
  /** mTLS channel credentials that accept only a server presenting one of `serverIdentities`. */
  channelCredentials(serverIdentities: readonly string[]): ChannelCredentials;
  /** Channel options to use with those credentials. */
  readonly channelOptions: Record<string, string>;
  close(): void;
}

export interface WorkloadTlsDeps {
  logger: Logger;
  registry: Registry;
  now?: () => number;
}

interface Loaded {
  fingerprint: string;
  certs: X509Certificate[];
  problem?: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * grpc-js's FileWatcherCertificateProvider re-reads the three files every
 * `refreshIntervalMs` and hands each read to the server and channel credentials: new
 * handshakes use the new material, open connections carry on until they cycle. This module
 * watches the same reads to log each change (serial, expiry, identity; never key material),
 * export the seconds left on every certificate, and tell readiness why the material is
 * unusable. One provider serves both roles (identity and trust): in grpc-js 1.14.7
 * `createCertificateProviderServerCredentials` passes its two providers to the constructor
 * in swapped order, which a single provider makes harmless.
 */
export function createWorkloadTls(config: TlsBaseConfig, deps: WorkloadTlsDeps): WorkloadTls {
  const now = deps.now ?? Date.now;
  const provider = new experimental.FileWatcherCertificateProvider({
    certificateFile: config.certFile,
    privateKeyFile: config.keyFile,
    caCertificateFile: config.caFile,
    refreshIntervalMs: config.refreshIntervalMs,
  });
  let identity: Loaded | undefined;
  let trust: Loaded | undefined;
  let resolveLoaded!: () => void;
  const loaded = new Promise<void>((resolve) => (resolveLoaded = resolve));
  const log = deps.logger.child({ component: 'tls' });

  const onIdentity = (update: experimental.IdentityCertificateUpdate | null) => {
    const next = inspectIdentity(update, config);
    if (next.fingerprint !== identity?.fingerprint) report('identity', next);
    identity = next;
    if (trust) resolveLoaded();
  };
  const onTrust = (update: experimental.CaCertificateUpdate | null) => {
    const next = inspectTrust(update, config);
    if (next.fingerprint !== trust?.fingerprint) report('ca', next);
    trust = next;
    if (identity) resolveLoaded();
  };
  provider.addIdentityCertificateListener(onIdentity);
  provider.addCaCertificateListener(onTrust);

  function report(certificate: 'identity' | 'ca', material: Loaded): void {
    const fields = {
      certificate,
      file: certificate === 'identity' ? config.certFile : config.caFile,
      certificates: material.certs.map((c) => ({
        serial: c.serialNumber,
        subject: c.subject,
        notAfter: new Date(c.validTo).toISOString(),
        ...(certificate === 'identity' && { identity: spiffeIdOf(c.subjectAltName) }),
      })),
    };
    const problem =
      material.problem ?? (certificate === 'identity' ? leafValidity(material.certs[0]!, now()) : undefined);
    if (problem) log.error({ ...fields, problem }, 'tls material unusable');
    else log.info(fields, 'tls material loaded');
  }

  new Gauge({
    name: 'tls_certificate_expiry_seconds',
    help: 'Seconds until each loaded certificate expires (identity: this workload; ca: the trust bundle), by serial.',
    labelNames: ['certificate', 'serial'] as const,
    registers: [deps.registry],
    collect() {
      this.reset();
      for (const [name, material] of [
        ['identity', identity],
        ['ca', trust],
      ] as const)
        for (const cert of material?.certs.slice(0, name === 'identity' ? 1 : undefined) ?? [])
          this.set({ certificate: name, serial: cert.serialNumber }, (Date.parse(cert.validTo) - now()) / 1000);
    },
  });

  return {
    loaded,
    problem() {
      if (!identity || !trust) return 'certificate files not read yet';
      const problem = identity.problem ?? trust.problem;
      if (problem) return problem;
      const leaf = identity.certs[0]!;
      if (Date.parse(leaf.validFrom) > now())
        return `certificate ${leaf.serialNumber} is not valid before ${leaf.validFrom}`;
      if (Date.parse(leaf.validTo) <= now()) return `certificate ${leaf.serialNumber} expired at ${leaf.validTo}`;
      if (!trust.certs.some((ca) => Date.parse(ca.validTo) > now())) return `every CA in ${config.caFile} has expired`;
      return undefined;
    },
    // The server is checked by SPIFFE id, so the TLS server name is only what SNI carries;
    // a fixed name avoids sending a pod IP there (not allowed by RFC 6066, Node's DEP0123).
    channelOptions: { 'grpc.ssl_target_name_override': 'patient-mesh-workload' },
    serverCredentials: () => experimental.createCertificateProviderServerCredentials(provider, provider, true),
    channelCredentials: (serverIdentities) =>
      experimental.createCertificateProviderChannelCredentials(provider, provider, {
        // The server is authorised by its SPIFFE id, not by a host name: endpoints are pod
        // IPs, and any workload of the cluster CA could present a valid name.
        checkServerIdentity: (_host, certificate) => {
          const id = peerSpiffeId(certificate);
          return id && serverIdentities.includes(id)
            ? undefined
            : new Error(`server identity ${id ?? '(none)'} is not one of ${serverIdentities.join(', ')}`);
        },
      }),
    close() {
      provider.removeIdentityCertificateListener(onIdentity);
      provider.removeCaCertificateListener(onTrust);
    },
  };
}

/** Why `leaf` is not valid at `now`, or undefined. */
function leafValidity(leaf: X509Certificate, now: number): string | undefined {
  if (Date.parse(leaf.validFrom) > now) return `certificate ${leaf.serialNumber} is not valid before ${leaf.validFrom}`;
  if (Date.parse(leaf.validTo) <= now) return `certificate ${leaf.serialNumber} expired at ${leaf.validTo}`;
  return undefined;
}

function fingerprint(...parts: Buffer[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

function parseCerts(pem: Buffer): X509Certificate[] {
  return (pem.toString('utf8').match(PEM_CERT) ?? []).map((block) => new X509Certificate(block));
}

function inspectIdentity(update: experimental.IdentityCertificateUpdate | null, config: TlsBaseConfig): Loaded {
  if (!update) return { fingerprint: '', certs: [], problem: `cannot read ${config.certFile} and ${config.keyFile}` };
  const loaded: Loaded = { fingerprint: fingerprint(update.certificate, update.privateKey), certs: [] };
  try {
    loaded.certs = parseCerts(update.certificate);
    if (loaded.certs.length === 0) return { ...loaded, problem: `${config.certFile} holds no PEM certificate` };
    if (!loaded.certs[0]!.checkPrivateKey(createPrivateKey(update.privateKey)))
      return {
        ...loaded,
        problem: `the key in ${config.keyFile} does not match the certificate in ${config.certFile}`,
      };
    if (!spiffeIdOf(loaded.certs[0]!.subjectAltName))
      return { ...loaded, problem: `the certificate in ${config.certFile} has no single spiffe:// URI SAN` };
  } catch (error) {
    return { ...loaded, problem: `cannot parse ${config.certFile} / ${config.keyFile}: ${(error as Error).message}` };
  }
  return loaded;
}

function inspectTrust(update: experimental.CaCertificateUpdate | null, config: TlsBaseConfig): Loaded {
  if (!update) return { fingerprint: '', certs: [], problem: `cannot read ${config.caFile}` };
  try {
    const certs = parseCerts(update.caCertificate);
    return {
      fingerprint: fingerprint(update.caCertificate),
      certs,
      ...(certs.length === 0 && { problem: `${config.caFile} holds no PEM certificate` }),
    };
  } catch (error) {
    return {
      fingerprint: fingerprint(update.caCertificate),
      certs: [],
      problem: `cannot parse ${config.caFile}: ${(error as Error).message}`,
    };
  }
}
