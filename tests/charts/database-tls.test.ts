// The bundled PostgreSQL serves TLS with a cert-manager certificate for the names in
// patient-rpc's URL, admits TCP clients over TLS only, can read its key (PostgreSQL's
// ownership and mode rule), and reloads a renewed certificate; patient-rpc connects with
// verify-full against the CA it has mounted.
import { describe, expect, it } from 'vitest';
import { render, type K8sObject } from './lib/helm.ts';
import { type Certificate, type ConfigMap, type Workload, named, serviceConfig } from './lib/manifests.ts';

const NS = 'trials';

function postgres(objects: K8sObject[]) {
  const sts = named<Workload>(objects, 'StatefulSet', 'pm-postgresql');
  const pod = sts.spec.template.spec;
  return { sts, pod, container: pod.containers.find((c) => c.name === 'postgresql')! };
}

/** "-c key=value" pairs of the postgres command line. */
function settings(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++)
    if (args[i] === '-c') {
      const [key, ...value] = args[++i]!.split('=');
      out[key!] = value.join('=');
    }
  return out;
}

describe('bundled PostgreSQL over TLS (umbrella defaults)', () => {
  const objects = render('patient-mesh', { namespace: NS });
  const { pod, container } = postgres(objects);

  it("the certificate names the host of patient-rpc's database URL", () => {
    const secret = named(objects, 'Secret', 'pm-postgresql') as unknown as { data: Record<string, string> };
    const url = new URL(Buffer.from(secret.data['url']!, 'base64').toString());
    expect(url.host).toBe(`pm-postgresql.${NS}.svc:5432`);
    expect(url.search).toBe(''); // TLS settings live in config.database.tls, never in the URL
    const cert = named<Certificate>(objects, 'Certificate', 'pm-postgresql');
    expect(cert.spec.dnsNames).toContain(url.hostname);
    expect(cert.spec.dnsNames).toEqual(
      expect.arrayContaining(['pm-postgresql', `pm-postgresql.${NS}`, `pm-postgresql.${NS}.svc.cluster.local`]),
    );
    expect(cert.spec.usages).toContain('server auth');
    expect(cert.spec.secretName).toBe('pm-postgresql-tls');
    expect(cert.spec.issuerRef).toEqual({ name: 'patient-mesh-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
  });

  it('postgres starts with ssl=on and the mounted certificate, key, CA and a hostssl-only pg_hba', () => {
    const mounts = Object.fromEntries(container.volumeMounts!.map((m) => [m.name, m]));
    expect(mounts['tls']).toEqual({ name: 'tls', mountPath: '/etc/postgresql/tls', readOnly: true });
    expect(settings(container.args!)).toEqual({
      ssl: 'on',
      ssl_cert_file: '/etc/postgresql/tls/tls.crt',
      ssl_key_file: '/etc/postgresql/tls/tls.key',
      ssl_ca_file: '/etc/postgresql/tls/ca.crt',
      hba_file: `${mounts['hba']!.mountPath}/pg_hba.conf`,
    });
    const hba = named<ConfigMap>(objects, 'ConfigMap', 'pm-postgresql-hba').data['pg_hba.conf']!;
    const rules = hba
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => l.split(/\s+/));
    expect(rules.map((r) => r[0])).toEqual(['local', 'hostssl']); // no plain "host" line
    expect(rules[1]).toEqual(['hostssl', 'all', 'all', 'all', 'scram-sha-256']);
  });

  it('the key is readable by the postgres user and meets its rule (root-owned: at most 0640)', () => {
    const tls = pod.volumes!.find((v) => v.name === 'tls')!;
    expect(tls.secret?.secretName).toBe('pm-postgresql-tls');
    expect(tls.secret?.defaultMode).toBe(0o640);
    // Secret files are root-owned with the pod's fsGroup as group; postgres (uid/gid 999) reads through the group.
    expect(pod.securityContext?.fsGroup).toBe(999);
    expect(container.securityContext?.runAsGroup).toBe(999);
  });

  it('a native sidecar reloads PostgreSQL when cert-manager renews the files (Kubernetes >= 1.29)', () => {
    const reload = pod.initContainers?.find((c) => c.name === 'tls-reload');
    expect(reload?.restartPolicy).toBe('Always');
    expect(reload?.image).toBe(container.image);
    expect(reload?.args?.join('\n')).toContain('pg_reload_conf()');
    expect(reload?.volumeMounts?.map((m) => m.mountPath).sort()).toEqual([
      '/etc/postgresql/tls',
      '/var/run/postgresql',
    ]);
    const old = postgres(render('patient-mesh', { kubeVersion: '1.28.9' }));
    expect(old.pod.initContainers).toBeUndefined();
    expect(settings(old.container.args!)['ssl']).toBe('on');
  });

  it('patient-rpc verifies the server with verify-full against the CA it mounts from that Secret (ca.crt only)', () => {
    const database = serviceConfig(objects, 'pm-patient-rpc')['database'] as { tls: Record<string, string> };
    expect(database.tls).toMatchObject({ mode: 'verify-full', caFile: '/etc/patient-mesh/database-tls/ca.crt' });
    const rpc = named<Workload>(objects, 'Deployment', 'pm-patient-rpc').spec.template.spec;
    const mount = rpc.containers[0]!.volumeMounts!.find((m) => m.name === 'database-tls')!;
    expect(mount).toEqual({ name: 'database-tls', mountPath: '/etc/patient-mesh/database-tls', readOnly: true });
    expect(rpc.volumes!.find((v) => v.name === 'database-tls')!.secret).toEqual({
      secretName: named<Certificate>(objects, 'Certificate', 'pm-postgresql').spec.secretName,
      defaultMode: 0o444,
      items: [{ key: 'ca.crt', path: 'ca.crt' }],
    });
  });
});

describe('external database', () => {
  it("patient-rpc mounts the CA named for it and keeps verify-full; nothing of the bundled server's", () => {
    const objects = render('patient-mesh', { valuesFiles: ['tests/charts/values/external-db.yaml'] });
    const rpc = named<Workload>(objects, 'Deployment', 'pm-patient-rpc').spec.template.spec;
    expect(rpc.volumes!.find((v) => v.name === 'database-tls')!.configMap).toEqual({
      name: 'pm-external-db-ca',
      defaultMode: 0o444,
      items: [{ key: 'ca.pem', path: 'ca.crt' }],
    });
    expect((serviceConfig(objects, 'pm-patient-rpc')['database'] as { tls: { mode: string } }).tls.mode).toBe(
      'verify-full',
    );
  });

  it('PGlite (no database Secret) mounts no database CA', () => {
    const objects = render('patient-rpc', {
      values: { database: { existingSecret: '' }, config: { database: { pgliteDir: 'memory://' } } },
    });
    const rpc = named<Workload>(objects, 'Deployment', 'pm-patient-rpc').spec.template.spec;
    expect(rpc.volumes!.map((v) => v.name)).not.toContain('database-tls');
  });
});
