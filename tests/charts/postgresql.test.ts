// Where patient-rpc's database comes from (postgresql.mode) and what every render of it gives:
// the same bytes each time (helm template, Argo CD and Flux render without a cluster, so
// nothing may be generated or looked up), the bundled PostgreSQL's password from values in
// both keys of its Secret, a CloudNativePG Cluster that the CRD's own schema accepts and
// that patient-rpc reaches with the operator's Secrets, and nothing at all for an external one.
import { describe, expect, it } from 'vitest';
import { render, renderText, type K8sObject } from './lib/helm.ts';
import { crdErrors } from './lib/crdSchema.ts';
import { type NetworkPolicy, type Workload, named, ofKind, serviceConfig } from './lib/manifests.ts';
import { schemaErrors } from './lib/validate.ts';
import { SCENARIOS } from './scenarios.ts';

const NS = 'trials';

interface Secret extends K8sObject {
  data: Record<string, string>;
}

const decoded = (secret: Secret, key: string) => Buffer.from(secret.data[key]!, 'base64').toString();

function rpcPod(objects: K8sObject[]) {
  return named<Workload>(objects, 'Deployment', 'pm-patient-rpc').spec.template.spec;
}

function databaseUrlRef(objects: K8sObject[]) {
  return rpcPod(objects).containers[0]!.env!.find((e) => e.name === 'PM_DATABASE__URL')?.valueFrom?.secretKeyRef;
}

function rpcDatabaseEgress(objects: K8sObject[]) {
  const policy = named<NetworkPolicy>(objects, 'NetworkPolicy', 'pm-patient-rpc');
  return policy.spec.egress!.filter((rule) => rule.ports?.some((p) => p.port === 5432));
}

describe('every render is the same (no generated or looked-up values)', () => {
  it.each(SCENARIOS)('$name: two renders are byte-identical', (scenario) => {
    const first = renderText(scenario.chart, scenario);
    expect(first.length).toBeGreaterThan(0);
    expect(renderText(scenario.chart, scenario)).toBe(first);
  });
});

describe('bundled PostgreSQL: the password comes from values', () => {
  // Every character a URL's userinfo must escape, and one it must not turn into a space.
  const password = 'p@ss:w/rd #1+%?&=é';

  it('the Secret holds the given password in password and, percent-encoded, in url', () => {
    const objects = render('patient-mesh', { namespace: NS, values: { postgresql: { auth: { password } } } });
    const secret = named<Secret>(objects, 'Secret', 'pm-postgresql');
    expect(Object.keys(secret.data).sort()).toEqual(['password', 'url']);
    expect(decoded(secret, 'password')).toBe(password);
    const text = decoded(secret, 'url');
    expect(text).toBe(
      `postgres://patient:p%40ss%3Aw%2Frd%20%231%2B%25%3F%26%3D%C3%A9@pm-postgresql.${NS}.svc:5432/patient`,
    );
    // As pg reads it (pg-connection-string: WHATWG URL, then decodeURIComponent).
    const url = new URL(text);
    expect(decodeURIComponent(url.password)).toBe(password);
    expect(decodeURIComponent(url.username)).toBe('patient');
    expect(url.host).toBe(`pm-postgresql.${NS}.svc:5432`);
    expect(url.pathname).toBe('/patient');
    // The database is initialised with the same Secret's password; patient-rpc reads its url.
    const sts = named<Workload>(objects, 'StatefulSet', 'pm-postgresql').spec.template.spec.containers[0]!;
    expect(sts.env!.find((e) => e.name === 'POSTGRES_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
      name: 'pm-postgresql',
      key: 'password',
    });
    expect(databaseUrlRef(objects)).toEqual({ name: 'pm-postgresql', key: 'url' });
  });

  it('an alphanumeric password appears in the URL as it is', () => {
    const objects = render('patient-mesh', { values: { postgresql: { auth: { password: 'Abc123xyz' } } } });
    expect(decoded(named<Secret>(objects, 'Secret', 'pm-postgresql'), 'url')).toBe(
      'postgres://patient:Abc123xyz@pm-postgresql.patient-mesh.svc:5432/patient',
    );
  });

  it('with auth.existingSecret the chart renders no Secret and both the database and patient-rpc read that one', () => {
    const objects = render('patient-mesh', {
      credentials: false,
      values: {
        postgresql: { auth: { existingSecret: 'pm-pg-credentials' } },
        'patient-rpc': { database: { existingSecret: 'pm-pg-credentials' } },
      },
    });
    expect(ofKind(objects, 'Secret')).toEqual([]);
    const sts = named<Workload>(objects, 'StatefulSet', 'pm-postgresql').spec.template.spec.containers[0]!;
    expect(sts.env!.find((e) => e.name === 'POSTGRES_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
      name: 'pm-pg-credentials',
      key: 'password',
    });
    expect(databaseUrlRef(objects)).toEqual({ name: 'pm-pg-credentials', key: 'url' });
  });
});

describe('postgresql.mode cloudnativepg', () => {
  const objects = render('patient-mesh', { namespace: NS, valuesFiles: ['tests/charts/values/cloudnativepg.yaml'] });
  const cluster = named(objects, 'Cluster', 'pm-postgresql') as K8sObject & { spec: Record<string, any> };

  it('renders a CloudNativePG Cluster and none of the bundled PostgreSQL', () => {
    expect(cluster.apiVersion).toBe('postgresql.cnpg.io/v1');
    expect(ofKind(objects, 'StatefulSet')).toEqual([]);
    const bundled = objects.filter((o) => o.metadata.name.startsWith('pm-postgresql') && o.kind !== 'Cluster');
    expect(bundled.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });

  it('three instances of PostgreSQL 15, the app database and owner bootstrapped, storage and resources, no PodMonitor', () => {
    expect(cluster.spec['instances']).toBe(3);
    expect(cluster.spec['imageName']).toMatch(/^ghcr\.io\/cloudnative-pg\/postgresql:15\.\d+/);
    expect(cluster.spec['bootstrap']).toEqual({ initdb: { database: 'patient', owner: 'patient' } });
    expect(cluster.spec['storage']).toEqual({ size: '20Gi', storageClass: 'fast-ssd' });
    expect(cluster.spec['resources']).toEqual({
      requests: { cpu: '250m', memory: '512Mi' },
      limits: { cpu: '2', memory: '1Gi' },
    });
    expect(cluster.spec['monitoring']).toEqual({ enablePodMonitor: false });
    expect(cluster.spec['backup']['barmanObjectStore']['destinationPath']).toBe('s3://patient-mesh-backups/pm');
  });

  it('validates against the CRD openAPIV3Schema (tests/charts/crds), backup settings included', async () => {
    expect(crdErrors(cluster)).toEqual([]);
    expect(await schemaErrors(objects)).toEqual([]);
  });

  it('the CRD schema check catches what the API server would refuse or drop', () => {
    const broken = structuredClone(cluster);
    broken.spec['instances'] = 'three';
    broken.spec['backup'] = { barmanObjectStor: {} };
    delete broken.spec['bootstrap']['initdb'];
    broken.spec['bootstrap']['initDB'] = {};
    expect(crdErrors(broken)).toEqual(
      expect.arrayContaining([
        '/spec/instances must be integer',
        '/spec/backup must NOT have additional properties (barmanObjectStor)',
        '/spec/bootstrap must NOT have additional properties (initDB)',
      ]),
    );
  });

  it("patient-rpc reads the operator's app Secret (key uri) and verifies the server against its CA Secret", () => {
    expect(databaseUrlRef(objects)).toEqual({ name: 'pm-postgresql-app', key: 'uri' });
    expect(rpcPod(objects).volumes!.find((v) => v.name === 'database-tls')!.secret).toEqual({
      secretName: 'pm-postgresql-ca',
      defaultMode: 0o444,
      items: [{ key: 'ca.crt', path: 'ca.crt' }],
    });
    const database = serviceConfig(objects, 'pm-patient-rpc')['database'] as { tls: Record<string, string> };
    expect(database.tls).toMatchObject({ mode: 'verify-full', caFile: '/etc/patient-mesh/database-tls/ca.crt' });
  });

  it("patient-rpc's PostgreSQL egress goes to the Cluster's pods on 5432, not to the bundled ones", () => {
    expect(rpcDatabaseEgress(objects)).toEqual([
      {
        ports: [{ port: 5432, protocol: 'TCP' }],
        to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': 'pm-postgresql' } } }],
      },
    ]);
  });
});

describe('postgresql.mode external', () => {
  it('renders no database objects; patient-rpc reads the URL and CA it is given', () => {
    const objects = render('patient-mesh', { valuesFiles: ['tests/charts/values/external-db.yaml'] });
    const ours = objects.filter((o) => o.metadata.name.includes('postgresql') || o.kind === 'Cluster');
    expect(ours).toEqual([]);
    expect(databaseUrlRef(objects)).toEqual({ name: 'pm-external-db', key: 'dsn' });
    expect(rpcPod(objects).volumes!.find((v) => v.name === 'database-tls')!.configMap?.name).toBe('pm-external-db-ca');
  });
});
