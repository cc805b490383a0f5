// The ConfigMap is the chart's `config` value verbatim (plus the lifecycle section), the
// pods roll when it changes, no credential ever lands in it, and what the chart renders
// is accepted by the services' own config loader.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, render, type Chart, type RenderOptions } from './lib/helm.ts';
import { type ConfigMap, type Workload, named, serviceConfig } from './lib/manifests.ts';
import { SCENARIOS } from './scenarios.ts';

function text(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

function checksum(chart: Chart, name: string, options: RenderOptions = {}): string {
  const d = named<Workload>(render(chart, options), 'Deployment', name);
  return d.spec.template.metadata.annotations?.['checksum/config'] ?? '';
}

/** What the charts add to config.tls in mtls mode: the mode and the mounted Secret's files. */
const MTLS = {
  mode: 'mtls',
  certFile: '/etc/patient-mesh/tls/tls.crt',
  keyFile: '/etc/patient-mesh/tls/tls.key',
  caFile: '/etc/patient-mesh/tls/ca.crt',
};

describe('ConfigMap content', () => {
  it('patient-api: config values verbatim, rpc target templated, lifecycle and tls merged', () => {
    const values = parse(text('charts/patient-api/values.yaml')) as {
      config: Record<string, Record<string, unknown>>;
    };
    const config = serviceConfig(render('patient-api'), 'pm-patient-api');
    expect(config).toEqual({
      ...values.config,
      rpc: { target: 'kubernetes:///pm-patient-rpc-headless.patient-mesh:50051' },
      lifecycle: {
        terminationGracePeriodSeconds: 30,
        preStopSeconds: 5,
        shutdownTimeoutSeconds: 20,
        idleSocketQuietMs: 1000,
      },
      tls: {
        ...values.config['tls'],
        ...MTLS,
        serverIdentities: ['spiffe://cluster.local/ns/patient-mesh/sa/pm-patient-rpc'],
      },
    });
  });

  it('patient-rpc: config values verbatim, lifecycle, tls and the audit key file merged, no database URL', () => {
    const values = parse(text('charts/patient-rpc/values.yaml')) as {
      config: Record<string, Record<string, unknown>>;
    };
    const config = serviceConfig(render('patient-rpc'), 'pm-patient-rpc');
    expect(config).toEqual({
      ...values.config,
      lifecycle: {
        terminationGracePeriodSeconds: 30,
        preStopSeconds: 5,
        shutdownTimeoutSeconds: 20,
        idleSocketQuietMs: 1000,
      },
      tls: {
        ...values.config['tls'],
        ...MTLS,
        allowedClients: ['spiffe://cluster.local/ns/patient-mesh/sa/pm-patient-api'],
      },
      audit: {
        ...values.config['audit'],
        checkpoints: {
          ...(values.config['audit']!['checkpoints'] as object),
          signingKeyFile: '/etc/patient-mesh/audit/signing-key.pem',
        },
      },
    });
    expect(config['database']).not.toHaveProperty('url');
  });

  it('identities given in values are rendered as given', () => {
    const ids = ['spiffe://example.org/ns/a/sa/one', 'spiffe://example.org/ns/b/sa/two'];
    const api = serviceConfig(
      render('patient-api', { values: { config: { tls: { serverIdentities: ids } } } }),
      'pm-patient-api',
    );
    expect(api['tls']!['serverIdentities']).toEqual(ids);
    const rpc = serviceConfig(
      render('patient-rpc', { values: { config: { tls: { allowedClients: ids } } } }),
      'pm-patient-rpc',
    );
    expect(rpc['tls']!['allowedClients']).toEqual(ids);
  });

  it("config.tls.mode and the file paths are the chart's: they cannot be set as values", () => {
    expect(() => render('patient-api', { values: { config: { tls: { mode: 'plaintext' } } } })).toThrow(
      /additional properties 'mode' not allowed/,
    );
  });

  it('the api targets the headless Service the rpc chart renders, in the release namespace', () => {
    const objects = render('patient-mesh', { namespace: 'trials' });
    const target = serviceConfig(objects, 'pm-patient-api')['rpc']!['target'] as string;
    const headless = named(objects, 'Service', 'pm-patient-rpc-headless') as unknown as {
      spec: { clusterIP: string; publishNotReadyAddresses: boolean; ports: Array<{ port: number }> };
    };
    expect(target).toBe(`kubernetes:///pm-patient-rpc-headless.trials:${headless.spec.ports[0]!.port}`);
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(false);
  });

  it('the database URL cannot be put into config (schema), only a Secret reference', () => {
    expect(() => render('patient-rpc', { values: { config: { database: { url: 'postgres://u:p@h/db' } } } })).toThrow(
      /additional properties 'url' not allowed/,
    );
  });
});

describe('checksum/config', () => {
  it('changes when the config changes', () => {
    const base = checksum('patient-api', 'pm-patient-api');
    expect(base).toMatch(/^[a-f0-9]{64}$/);
    expect(checksum('patient-api', 'pm-patient-api', { values: { config: { log: { level: 'debug' } } } })).not.toBe(
      base,
    );
    expect(checksum('patient-api', 'pm-patient-api', { values: { lifecycle: { idleSocketQuietMs: 500 } } })).not.toBe(
      base,
    );
    const rpc = checksum('patient-rpc', 'pm-patient-rpc');
    expect(checksum('patient-rpc', 'pm-patient-rpc', { values: { config: { database: { poolMax: 3 } } } })).not.toBe(
      rpc,
    );
  });

  it('stays the same when only unrelated values change', () => {
    const base = checksum('patient-api', 'pm-patient-api');
    expect(
      checksum('patient-api', 'pm-patient-api', {
        values: { replicaCount: 5, resources: { limits: { cpu: '2', memory: '1Gi' } } },
      }),
    ).toBe(base);
  });
});

// The services validate their config at startup (zod, strict). Feeding the rendered file
// plus the env the pod gets through the same loader proves chart values map 1:1.
const runtimeBuilt = existsSync(join(ROOT, 'services', 'runtime', 'dist', 'index.js'));

describe.skipIf(!runtimeBuilt)('rendered config is accepted by the services (needs npm run build)', async () => {
  const { loadConfig } = await import('@patient-mesh/runtime');
  const { apiConfigSchema } = await import('../../services/patient-api/src/config.ts');
  const { rpcConfigSchema } = await import('../../services/patient-rpc/src/config.ts');
  const dir = mkdtempSync(join(tmpdir(), 'pm-config-'));

  it.each(SCENARIOS)('$name', (scenario) => {
    const objects = render(scenario.chart, scenario);
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap' && (o as ConfigMap).data['config.yaml'])) {
      const file = join(dir, `${cm.metadata.name}.yaml`);
      writeFileSync(file, (cm as ConfigMap).data['config.yaml']!);
      const isRpc = cm.metadata.name.endsWith('patient-rpc');
      const env = isRpc ? { PM_DATABASE__URL: 'postgres://patient:secret@db:5432/patient' } : {};
      expect(() => loadConfig(isRpc ? rpcConfigSchema : apiConfigSchema, { file, env })).not.toThrow();
    }
  });

  // The other direction: every key a service reads may be set through the chart's config
  // value, but for those the chart writes itself (lifecycle, the tls mode and files, the
  // database URL) and fault injection, which the chart does not offer.
  const settable = (config: Record<string, Record<string, unknown>>) => {
    const { lifecycle: _lifecycle, faults: _faults, ...rest } = config;
    const { mode: _mode, certFile: _cert, keyFile: _key, caFile: _ca, ...tls } = rest['tls']!;
    const database = rest['database'] && { ...rest['database'], url: undefined };
    return JSON.parse(JSON.stringify({ ...rest, tls, ...(database && { database }) })) as Record<
      string,
      Record<string, unknown>
    >;
  };
  it.each([
    ['patient-api', apiConfigSchema, 'serverIdentities', ['resilience', 'rateLimit', 'shedding']],
    ['patient-rpc', rpcConfigSchema, 'allowedClients', ['imports', 'patientCache', 'seed']],
  ] as const)('%s accepts every key of the service config, each at its default', (chart, schema, peers, sections) => {
    const config = settable(
      schema.parse({ auth: { jwksFile: '/etc/patient-mesh/jwks/jwks.json' } }) as Record<
        string,
        Record<string, unknown>
      >,
    );
    expect(Object.keys(config)).toEqual(expect.arrayContaining([...sections]));
    config['tls']![peers] = ['spiffe://example.org/ns/trials/sa/peer'];
    // The chart's default store is the bundled PostgreSQL's Secret; PGlite would be the other store.
    delete config['database']?.['pgliteDir'];
    // Empty means "the file of the chart's signing key Secret", which the chart then writes.
    if (chart === 'patient-rpc')
      (config['audit']!['checkpoints'] as Record<string, unknown>)['signingKeyFile'] =
        '/etc/patient-mesh/audit/signing-key.pem';
    const rendered = serviceConfig(render(chart, { values: { config } }), `pm-${chart}`);
    expect(settable(rendered as Record<string, Record<string, unknown>>)).toMatchObject(config);
  });
});
