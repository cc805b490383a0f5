import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createAuthority,
  issue,
  spiffeId,
  tlsSecretFiles,
  writeSecretVolume,
  type Authority,
} from '../../../../scripts/lib/pki.ts';
import { createRegistry } from '../metrics.js';
import { recordingLogger } from '../testing/recordingLogger.js';
import { createWorkloadTls, type WorkloadTls } from './createWorkloadTls.js';

const ID = spiffeId('td', 'ns', 'patient-api');
const HOUR = 3_600_000;

describe('createWorkloadTls', () => {
  let tls: WorkloadTls | undefined;
  afterEach(() => tls?.close());

  async function setup(validity: { notBefore?: Date; notAfter?: Date } = {}, uris = [ID]) {
    const ca: Authority = await createAuthority('unit CA');
    const dir = mkdtempSync(join(tmpdir(), 'pm-tls-'));
    const leaf = await issue(ca, { commonName: 'patient-api', uris, ...validity });
    writeSecretVolume(dir, tlsSecretFiles(leaf, ca.certPem));
    const log = recordingLogger();
    const registry = createRegistry('test');
    const loaded = log.next('tls material loaded');
    tls = createWorkloadTls(
      {
        mode: 'mtls',
        certFile: join(dir, 'tls.crt'),
        keyFile: join(dir, 'tls.key'),
        caFile: join(dir, 'ca.crt'),
        refreshIntervalMs: 100,
      },
      { logger: log.logger, registry },
    );
    await tls.loaded;
    return { ca, dir, leaf, log, registry, tls, loaded };
  }

  it('loads valid material, logs its serial and identity (never the key) and exports seconds to expiry', async () => {
    const { leaf, ca, log, registry, tls, loaded } = await setup();
    expect(tls.problem()).toBeUndefined();
    const record = await loaded;
    expect(record).toMatchObject({
      certificate: 'identity',
      certificates: [{ serial: leaf.serial, identity: ID }],
    });
    expect(JSON.stringify(log.records)).not.toContain('PRIVATE KEY');
    const { values } = await registry.getSingleMetric('tls_certificate_expiry_seconds')!.get();
    const seconds = (certificate: string, serial: string) =>
      values.find((v) => v.labels['certificate'] === certificate && v.labels['serial'] === serial)?.value;
    expect(seconds('identity', leaf.serial)).toBeGreaterThan(23 * 3600);
    expect(seconds('identity', leaf.serial)).toBeLessThanOrEqual(24 * 3600);
    expect(seconds('ca', ca.serial)).toBeGreaterThan(29 * 24 * 3600);
  });

  it('names an expired certificate as the reason, and recovers when a valid one appears', async () => {
    const { ca, dir, log, tls } = await setup({
      notBefore: new Date(Date.now() - 2 * HOUR),
      notAfter: new Date(Date.now() - HOUR),
    });
    expect(tls.problem()).toMatch(/^certificate [0-9A-F]+ expired at /);
    const fresh = await issue(ca, { commonName: 'patient-api', uris: [ID] });
    const reloaded = log.next('tls material loaded');
    writeSecretVolume(dir, tlsSecretFiles(fresh, ca.certPem));
    expect((await reloaded)['certificates']).toMatchObject([{ serial: fresh.serial }]);
    expect(tls.problem()).toBeUndefined();
  });

  it('refuses a certificate without a SPIFFE id, and a key of another certificate', async () => {
    const { ca, dir, log, tls } = await setup({}, []);
    expect(tls.problem()).toMatch(/has no single spiffe:\/\/ URI SAN/);
    const [one, other] = [
      await issue(ca, { commonName: 'a', uris: [ID] }),
      await issue(ca, { commonName: 'b', uris: [ID] }),
    ];
    const unusable = log.next('tls material unusable');
    writeSecretVolume(dir, { ...tlsSecretFiles(one, ca.certPem), 'tls.key': other.keyPem });
    expect(await unusable).toMatchObject({ problem: expect.stringMatching(/does not match the certificate/) });
    expect(tls.problem()).toMatch(/does not match the certificate/);
  });
});
