// patient-rpc signs audit checkpoints with a key the charts mount from a Secret: a whole
// volume (no subPath) at /etc/patient-mesh/audit, mode 0440 through the fsGroup, that
// config.audit.checkpoints.signingKeyFile points into; both charts default to Secret
// <release>-audit-signing-key. Without one, production is refused at render (as the service
// refuses it at start); elsewhere there is no volume and no key file, and NOTES warn. The
// public verifier key is for auditors:
// NOTES show it with the audit-verify command, and a pod annotation rolls the pods when it
// changes (the service reads the key once, at start).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, notes, render, renderError, type Chart, type RenderOptions } from './lib/helm.ts';
import { type ConfigMap, type PodSpec, type Workload, named, serviceConfig } from './lib/manifests.ts';

const NS = 'trials';
const VKEY = 'patient-mesh/audit+0a1b2c3d+AXe7Pl0bqjb1E9t4N3hDW8ZVnD8V4sPUeLj96eN2kN0=';
/** A standalone patient-rpc needs a database: the default Secret reference will do. */
const rpc = (audit: Record<string, unknown>, extra: Record<string, unknown> = {}): RenderOptions => ({
  namespace: NS,
  values: { audit: { checkpoints: audit }, ...extra },
});

function rendered(chart: Chart, options: RenderOptions = {}) {
  const objects = render(chart, { namespace: NS, ...options });
  const deployment = named<Workload>(objects, 'Deployment', 'pm-patient-rpc');
  const pod: PodSpec = deployment.spec.template.spec;
  const container = pod.containers.find((c) => c.name === 'patient-rpc')!;
  return {
    objects,
    pod,
    container,
    annotations: deployment.spec.template.metadata.annotations ?? {},
    mount: container.volumeMounts?.find((m) => m.name === 'audit-signing-key'),
    volume: pod.volumes?.find((v) => v.name === 'audit-signing-key'),
    checkpoints: serviceConfig(objects, 'pm-patient-rpc')['audit']!['checkpoints'] as Record<string, unknown>,
  };
}

describe('umbrella defaults: the key from Secret <release>-audit-signing-key', () => {
  const r = rendered('patient-mesh');

  it('is mounted read-only as a whole volume (no subPath), mode 0440 for the fsGroup, only its key', () => {
    expect(r.mount).toEqual({ name: 'audit-signing-key', mountPath: '/etc/patient-mesh/audit', readOnly: true });
    expect(r.volume?.secret).toEqual({
      secretName: 'pm-audit-signing-key',
      defaultMode: 0o440,
      items: [{ key: 'signing-key.pem', path: 'signing-key.pem' }],
    });
    expect(r.pod.securityContext?.fsGroup).toBe(r.container.securityContext?.runAsGroup);
  });

  it('config.audit.checkpoints.signingKeyFile names the mounted file; the rest is as in values', () => {
    expect(r.checkpoints).toEqual({
      signingKeyFile: '/etc/patient-mesh/audit/signing-key.pem',
      origin: 'patient-mesh/audit',
      intervalMs: 1000,
      maxBatch: 100000,
      gapGraceMs: 10000,
    });
  });

  it('no verifier key given: no annotation, and NOTES say where to get it', () => {
    expect(r.annotations).not.toHaveProperty('patient-mesh/audit-verifier-key');
    const text = notes('patient-mesh', { namespace: NS });
    expect(text).toContain(
      'Audit checkpoints: signed as patient-mesh/audit with key signing-key.pem of Secret pm-audit-signing-key',
    );
    expect(text).toContain('Set audit.checkpoints.verifierKey');
  });

  it('with the verifier key: pod annotation, and NOTES show it with the audit-verify command', () => {
    const options = { values: { 'patient-rpc': { audit: { checkpoints: { verifierKey: VKEY } } } } };
    expect(rendered('patient-mesh', options).annotations['patient-mesh/audit-verifier-key']).toBe(VKEY);
    const text = notes('patient-mesh', { namespace: NS, ...options });
    expect(text).toContain(`     ${VKEY}\n`);
    expect(text).toContain(
      `node scripts/audit-verify.ts --database-url "$PM_DATABASE__URL" --checkpoints checkpoint.txt --verifier-key '${VKEY}'`,
    );
    expect(text).toContain(`kubectl port-forward -n ${NS} svc/pm-patient-rpc 9091:9091`);
  });

  it("signingKeySecret '' is refused in production, in the umbrella too", () => {
    expect(
      renderError('patient-mesh', { values: { 'patient-rpc': { audit: { checkpoints: { signingKeySecret: '' } } } } }),
    ).toMatch(/production needs signed audit checkpoints: set audit.checkpoints.signingKeySecret/);
  });
});

describe('standalone patient-rpc', () => {
  it('defaults: the key of Secret <release>-audit-signing-key, as in the umbrella', () => {
    const r = rendered('patient-rpc');
    expect(r.volume?.secret?.secretName).toBe('pm-audit-signing-key');
    expect(r.checkpoints['signingKeyFile']).toBe('/etc/patient-mesh/audit/signing-key.pem');
  });

  it('no key at all: refused in production; in development no volume, no signingKeyFile, and a warning in NOTES', () => {
    expect(renderError('patient-rpc', rpc({ signingKeySecret: '' }))).toMatch(
      /production needs signed audit checkpoints/,
    );
    const development = rpc({ signingKeySecret: '' }, { config: { service: { environment: 'development' } } });
    const r = rendered('patient-rpc', development);
    expect(r.mount).toBeUndefined();
    expect(r.volume).toBeUndefined();
    expect(r.checkpoints['signingKeyFile']).toBe('');
    expect(r.annotations).not.toHaveProperty('patient-mesh/audit-verifier-key');
    expect(notes('patient-rpc', development)).toMatch(/Audit checkpoints: WARNING: none signed/);
  });

  it('a templated Secret name and another key: the file follows the key', () => {
    const r = rendered(
      'patient-rpc',
      rpc({ signingKeySecret: '{{ .Release.Name }}-ledger', signingKeyKey: 'ed25519.pem' }),
    );
    expect(r.volume?.secret).toEqual({
      secretName: 'pm-ledger',
      defaultMode: 0o440,
      items: [{ key: 'ed25519.pem', path: 'ed25519.pem' }],
    });
    expect(r.mount?.subPath).toBeUndefined();
    expect(r.checkpoints['signingKeyFile']).toBe('/etc/patient-mesh/audit/ed25519.pem');
  });

  it('an explicit config.audit.checkpoints.signingKeyFile is kept', () => {
    const r = rendered(
      'patient-rpc',
      rpc({ signingKeySecret: 'k' }, { config: { audit: { checkpoints: { signingKeyFile: '/keys/audit.pem' } } } }),
    );
    expect(r.checkpoints['signingKeyFile']).toBe('/keys/audit.pem');
    expect(r.volume?.secret?.secretName).toBe('k');
  });

  it('NOTES show the verifier key', () => {
    const text = notes('patient-rpc', rpc({ signingKeySecret: 'k', verifierKey: VKEY }));
    expect(text).toContain('4. Audit checkpoints: signed as patient-mesh/audit with key signing-key.pem of Secret k');
    expect(text).toContain(`--verifier-key '${VKEY}'`);
  });
});

describe('what the chart refuses', () => {
  it.each(['patient mesh', 'patient+mesh', ''])('origin %j (a key name: no spaces, no +, not empty)', (origin) => {
    expect(renderError('patient-rpc', { values: { config: { audit: { checkpoints: { origin } } } } })).toMatch(
      /\/config\/audit\/checkpoints\/origin.*does not match pattern/,
    );
  });

  it.each([49, 60001, 1.5])('intervalMs %d', (intervalMs) => {
    expect(renderError('patient-rpc', { values: { config: { audit: { checkpoints: { intervalMs } } } } })).toMatch(
      /\/config\/audit\/checkpoints\/intervalMs/,
    );
  });

  it('maxBatch beyond 1000000, and keys the service does not know', () => {
    expect(
      renderError('patient-rpc', { values: { config: { audit: { checkpoints: { maxBatch: 1000001 } } } } }),
    ).toMatch(/\/config\/audit\/checkpoints\/maxBatch/);
    expect(renderError('patient-rpc', { values: { config: { audit: { checkpoints: { key: 'x' } } } } })).toMatch(
      /additional properties 'key' not allowed/,
    );
  });

  it('a verifier key that is not <name>+<8 hex>+<base64>', () => {
    expect(renderError('patient-rpc', rpc({ verifierKey: 'patient-mesh/audit+xyz+AAAA' }))).toMatch(
      /\/audit\/checkpoints\/verifierKey.*does not match pattern/,
    );
  });

  it("a verifier key of another origin (it would never verify the service's checkpoints)", () => {
    expect(renderError('patient-rpc', rpc({ verifierKey: VKEY.replace('patient-mesh/audit', 'other') }))).toMatch(
      /verifierKey is the key of "other", but config.audit.checkpoints.origin is "patient-mesh\/audit"/,
    );
  });
});

// The service's own loader (zod, strict) accepts what the chart renders, and the chart schema
// bounds config.audit.checkpoints as the service does.
const runtimeBuilt = existsSync(join(ROOT, 'services', 'runtime', 'dist', 'index.js'));

describe.skipIf(!runtimeBuilt)('the service accepts it (needs npm run build)', async () => {
  const { loadConfig } = await import('@patient-mesh/runtime');
  const { rpcConfigSchema } = await import('../../services/patient-rpc/src/config.ts');
  const { z } = await import('zod');
  const dir = mkdtempSync(join(tmpdir(), 'pm-audit-config-'));

  it.each([
    ['umbrella defaults', 'patient-mesh', {}],
    ['standalone defaults', 'patient-rpc', {}],
    [
      'standalone development, no key',
      'patient-rpc',
      rpc({ signingKeySecret: '' }, { config: { service: { environment: 'development' } } }),
    ],
    ['standalone, templated Secret', 'patient-rpc', rpc({ signingKeySecret: '{{ .Release.Name }}-k' })],
  ] as const)('%s', (_name, chart, options) => {
    const objects = render(chart, { namespace: NS, ...options });
    const file = join(dir, `${chart}-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, named<ConfigMap>(objects, 'ConfigMap', 'pm-patient-rpc').data['config.yaml']!);
    const env = { PM_DATABASE__URL: 'postgres://patient:secret@db:5432/patient' };
    const config = loadConfig(rpcConfigSchema, { file, env });
    expect(config.audit.checkpoints.signingKeyFile).toBe(rendered(chart, options).checkpoints['signingKeyFile']);
  });

  it('config.audit.checkpoints has the same keys, types and bounds in both schemas', () => {
    type Json = { properties?: Record<string, Json>; [key: string]: unknown };
    const bounds = (s: Json) =>
      Object.fromEntries(
        Object.entries(s.properties ?? {}).map(([k, v]) => [
          k,
          { type: v['type'], minimum: v['minimum'], maximum: v['maximum'], pattern: v['pattern'] },
        ]),
      );
    const service = z.toJSONSchema(rpcConfigSchema, { io: 'input' }) as Json;
    const chart = JSON.parse(readFileSync(join(ROOT, 'charts', 'patient-rpc', 'values.schema.json'), 'utf8')) as Json;
    const checkpoints = (s: Json) => s.properties!['audit']!.properties!['checkpoints']!;
    expect(bounds(checkpoints(chart.properties!['config']!))).toEqual(bounds(checkpoints(service)));
  });
});
