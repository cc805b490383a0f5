// Zero trust between the services as the charts express it: one cert-manager Certificate
// per service whose only URI SAN is the SPIFFE id of the pod's ServiceAccount, mounted as a
// whole volume that the config's tls.* files point into, and each side's peer list equal
// to the other side's id. Also: bring-your-own Secrets, trust bundles, and the JWKS that
// both services verify tokens with.
import { describe, expect, it } from 'vitest';
import { render, type K8sObject, type RenderOptions } from './lib/helm.ts';
import {
  type Certificate,
  type Container,
  type PodSpec,
  type Service,
  type Volume,
  type Workload,
  named,
  ofKind,
  serviceConfig,
} from './lib/manifests.ts';

const NS = 'trials';
const SERVICES = ['patient-api', 'patient-rpc'] as const;
type ServiceChart = (typeof SERVICES)[number];

interface Rendered {
  objects: K8sObject[];
  pod: (chart: ServiceChart) => PodSpec;
  container: (chart: ServiceChart) => Container;
  tlsConfig: (chart: ServiceChart) => Record<string, unknown>;
  /** spiffe://<trust domain>/ns/<namespace>/sa/<the pod's ServiceAccount> */
  spiffeId: (chart: ServiceChart, trustDomain?: string) => string;
}

function umbrella(options: RenderOptions = {}): Rendered {
  const objects = render('patient-mesh', { namespace: NS, ...options });
  const deployment = (chart: ServiceChart) => named<Workload>(objects, 'Deployment', `pm-${chart}`);
  const pod = (chart: ServiceChart) => deployment(chart).spec.template.spec;
  return {
    objects,
    pod,
    container: (chart) => pod(chart).containers.find((c) => c.name === chart)!,
    tlsConfig: (chart) => serviceConfig(objects, `pm-${chart}`)['tls']!,
    spiffeId: (chart, trustDomain = 'cluster.local') =>
      `spiffe://${trustDomain}/ns/${NS}/sa/${pod(chart).serviceAccountName}`,
  };
}

function volume(pod: PodSpec, name: string): Volume {
  const found = pod.volumes?.find((v) => v.name === name);
  if (!found) throw new Error(`no volume ${name} (have ${pod.volumes?.map((v) => v.name).join(', ')})`);
  return found;
}

/** The file names a volume projects (items of its Secret/ConfigMap sources). */
function files(v: Volume): string[] {
  return [
    ...(v.secret?.items ?? []),
    ...(v.configMap?.items ?? []),
    ...(v.projected?.sources ?? []).flatMap((s) => [...(s.secret?.items ?? []), ...(s.configMap?.items ?? [])]),
  ]
    .map((i) => i.path)
    .sort();
}

describe('workload certificates (defaults: tls.mode mtls)', () => {
  const r = umbrella();
  const certificates = ofKind<Certificate>(r.objects, 'Certificate');

  it('one cert-manager.io/v1 Certificate per service (and one for the bundled PostgreSQL)', () => {
    expect(certificates.map((c) => `${c.apiVersion} ${c.metadata.name}`).sort()).toEqual([
      'cert-manager.io/v1 pm-patient-api',
      'cert-manager.io/v1 pm-patient-rpc',
      'cert-manager.io/v1 pm-postgresql',
    ]);
  });

  it.each(SERVICES)(
    "%s: exactly one URI SAN, the SPIFFE id of the pod's ServiceAccount in the release namespace",
    (chart) => {
      const cert = named<Certificate>(r.objects, 'Certificate', `pm-${chart}`);
      expect(r.pod(chart).serviceAccountName).toBe(`pm-${chart}`);
      expect(named(r.objects, 'ServiceAccount', `pm-${chart}`)).toBeTruthy();
      expect(cert.spec.uris).toEqual([r.spiffeId(chart)]);
      expect(cert.spec.uris).toEqual([`spiffe://cluster.local/ns/${NS}/sa/pm-${chart}`]);
    },
  );

  it.each(SERVICES)('%s: short-lived ECDSA P-256, a new key per renewal, server and client auth', (chart) => {
    const { spec } = named<Certificate>(r.objects, 'Certificate', `pm-${chart}`);
    expect(spec.secretName).toBe(`pm-${chart}-tls`);
    expect(spec.duration).toBe('24h');
    expect(spec.renewBefore).toBe('8h');
    expect(spec.privateKey).toMatchObject({ algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' });
    expect(spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    expect(spec.issuerRef).toEqual({ name: 'patient-mesh-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
  });

  it.each(SERVICES)('%s: dnsNames name every Service of the chart, in every form', (chart) => {
    const { spec } = named<Certificate>(r.objects, 'Certificate', `pm-${chart}`);
    const services = ofKind<Service>(r.objects, 'Service')
      .filter((s) => s.metadata.labels?.['app.kubernetes.io/name'] === chart)
      .map((s) => s.metadata.name);
    expect(services.length).toBeGreaterThan(0);
    if (chart === 'patient-rpc') expect(services).toContain('pm-patient-rpc-headless');
    const expected = services.flatMap((s) => [s, `${s}.${NS}`, `${s}.${NS}.svc`, `${s}.${NS}.svc.cluster.local`]);
    expect([...(spec.dnsNames ?? [])].sort()).toEqual(expected.sort());
  });

  it.each(SERVICES)(
    '%s: the Secret is mounted read-only as a whole volume (no subPath), mode 0440 for the fsGroup',
    (chart) => {
      const pod = r.pod(chart);
      const c = r.container(chart);
      const mount = c.volumeMounts!.find((m) => m.name === 'tls')!;
      expect(mount).toEqual({ name: 'tls', mountPath: '/etc/patient-mesh/tls', readOnly: true });
      const v = volume(pod, 'tls');
      expect(v.secret?.secretName).toBe(named<Certificate>(r.objects, 'Certificate', `pm-${chart}`).spec.secretName);
      expect(v.secret?.defaultMode).toBe(0o440);
      expect(files(v)).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
      // Group-readable only: the non-root user must be in the group that owns the files.
      expect(pod.securityContext?.fsGroup).toBe(c.securityContext?.runAsGroup);
    },
  );

  it.each(SERVICES)('%s: config.tls names the mounted files and mode mtls', (chart) => {
    const tls = r.tlsConfig(chart);
    const dir = r.container(chart).volumeMounts!.find((m) => m.name === 'tls')!.mountPath;
    expect(tls).toMatchObject({
      mode: 'mtls',
      certFile: `${dir}/tls.crt`,
      keyFile: `${dir}/tls.key`,
      caFile: `${dir}/ca.crt`,
    });
    const mounted = files(volume(r.pod(chart), 'tls'));
    for (const key of ['certFile', 'keyFile', 'caFile'])
      expect(mounted).toContain(String(tls[key]).slice(dir.length + 1));
  });

  it("patient-rpc allows exactly patient-api's identity; patient-api accepts exactly patient-rpc's", () => {
    const apiId = named<Certificate>(r.objects, 'Certificate', 'pm-patient-api').spec.uris![0];
    const rpcId = named<Certificate>(r.objects, 'Certificate', 'pm-patient-rpc').spec.uris![0];
    expect(r.tlsConfig('patient-rpc')['allowedClients']).toEqual([apiId]);
    expect(r.tlsConfig('patient-api')['serverIdentities']).toEqual([rpcId]);
    expect(apiId).toBe(r.spiffeId('patient-api'));
    expect(rpcId).toBe(r.spiffeId('patient-rpc'));
  });

  it('the gRPC Service ports declare appProtocol grpc', () => {
    for (const name of ['pm-patient-rpc', 'pm-patient-rpc-headless']) {
      const port = named<Service>(r.objects, 'Service', name).spec.ports.find((p) => p.name === 'grpc') as {
        appProtocol?: string;
      };
      expect(port.appProtocol, name).toBe('grpc');
    }
  });
});

describe('identities are computed from the real names', () => {
  it('renamed ServiceAccounts: each Certificate follows its pod, peer lists follow tls.peerServiceAccount', () => {
    const r = umbrella({
      values: {
        'patient-api': {
          serviceAccount: { name: 'gateway' },
          tls: { peerServiceAccount: 'store', trustDomain: 'example.org' },
        },
        'patient-rpc': {
          serviceAccount: { name: 'store' },
          tls: { peerServiceAccount: 'gateway', trustDomain: 'example.org' },
        },
      },
    });
    expect(named<Certificate>(r.objects, 'Certificate', 'pm-patient-api').spec.uris).toEqual([
      `spiffe://example.org/ns/${NS}/sa/gateway`,
    ]);
    expect(r.tlsConfig('patient-rpc')['allowedClients']).toEqual([r.spiffeId('patient-api', 'example.org')]);
    expect(r.tlsConfig('patient-api')['serverIdentities']).toEqual([r.spiffeId('patient-rpc', 'example.org')]);
  });

  it('a standalone chart takes the peer from the umbrella naming of its release', () => {
    const api = serviceConfig(render('patient-api', { release: 'trial7', namespace: NS }), 'trial7-patient-api');
    expect(api['tls']!['serverIdentities']).toEqual([`spiffe://cluster.local/ns/${NS}/sa/trial7-patient-rpc`]);
    const rpc = serviceConfig(render('patient-rpc', { release: 'trial7', namespace: NS }), 'trial7-patient-rpc');
    expect(rpc['tls']!['allowedClients']).toEqual([`spiffe://cluster.local/ns/${NS}/sa/trial7-patient-api`]);
  });

  it('a release named after a chart keeps the peer name the peer chart gives itself', () => {
    // fullname is the release name when it contains the chart name: patient-rpc -> "patient-rpc".
    const api = serviceConfig(render('patient-api', { release: 'patient-rpc' }), 'patient-rpc-patient-api');
    expect(api['tls']!['serverIdentities']).toEqual(['spiffe://cluster.local/ns/patient-mesh/sa/patient-rpc']);
  });
});

describe('bring your own certificates (tls.existingSecret) and a trust bundle', () => {
  const r = umbrella({ valuesFiles: ['tests/charts/values/tls-existing-secret.yaml'] });

  it('renders no Certificate for the services', () => {
    expect(ofKind(r.objects, 'Certificate').map((c) => c.metadata.name)).toEqual(['pm-postgresql']);
  });

  it.each([
    ['patient-api', 'pm-api-svid'],
    ['patient-rpc', 'pm-rpc-svid'],
  ] as const)(
    '%s: key and certificate from %s, ca.crt from the bundle ConfigMap, one projected volume',
    (chart, secret) => {
      const v = volume(r.pod(chart), 'tls');
      expect(v.projected?.defaultMode).toBe(0o440);
      expect(v.projected?.sources).toEqual([
        {
          secret: {
            name: secret,
            items: [
              { key: 'tls.crt', path: 'tls.crt' },
              { key: 'tls.key', path: 'tls.key' },
            ],
          },
        },
        { configMap: { name: 'patient-mesh-trust-bundle', items: [{ key: 'trust-bundle.pem', path: 'ca.crt' }] } },
      ]);
      expect(r.tlsConfig(chart)).toMatchObject({ mode: 'mtls', caFile: '/etc/patient-mesh/tls/ca.crt' });
    },
  );

  it('peer identities are computed all the same', () => {
    expect(r.tlsConfig('patient-rpc')['allowedClients']).toEqual([r.spiffeId('patient-api')]);
    expect(r.tlsConfig('patient-api')['serverIdentities']).toEqual([r.spiffeId('patient-rpc')]);
  });
});

describe('plaintext (development only)', () => {
  it('no Certificate, no tls volume, config.tls.mode plaintext', () => {
    const values = { tls: { mode: 'plaintext' }, config: { service: { environment: 'development' } } };
    const objects = render('patient-api', { values });
    expect(ofKind(objects, 'Certificate')).toEqual([]);
    const pod = named<Workload>(objects, 'Deployment', 'pm-patient-api').spec.template.spec;
    expect(pod.volumes?.map((v) => v.name)).not.toContain('tls');
    expect(serviceConfig(objects, 'pm-patient-api')['tls']).toMatchObject({ mode: 'plaintext' });
    expect(serviceConfig(objects, 'pm-patient-api')['tls']).not.toHaveProperty('certFile');
  });
});

describe('JWKS: patient-rpc verifies the same tokens with the same keys', () => {
  const r = umbrella();

  it.each(SERVICES)('%s: the JWKS Secret is mounted where config.auth.jwksFile points', (chart) => {
    const auth = serviceConfig(r.objects, `pm-${chart}`)['auth']!;
    expect(auth['jwksFile']).toBe('/etc/patient-mesh/jwks/jwks.json');
    const mount = r.container(chart).volumeMounts!.find((m) => m.name === 'jwks')!;
    expect(mount).toEqual({ name: 'jwks', mountPath: '/etc/patient-mesh/jwks', readOnly: true });
    expect(mount.subPath).toBeUndefined();
    expect(volume(r.pod(chart), 'jwks').secret).toEqual({
      secretName: 'patient-mesh-jwks',
      items: [{ key: 'jwks.json', path: 'jwks.json' }],
    });
  });

  it('issuer, audience, algorithms and refresh are the same in both', () => {
    const api = serviceConfig(r.objects, 'pm-patient-api')['auth'];
    const rpc = serviceConfig(r.objects, 'pm-patient-rpc')['auth'];
    expect(rpc).toEqual(api);
    expect(rpc).toMatchObject({ audience: 'patient-api', jwksRefreshSeconds: 5 });
  });

  it('patient-rpc can take the keys from a ConfigMap too', () => {
    const objects = render('patient-rpc', { values: { auth: { jwksSecret: '', jwksConfigMap: 'keys' } } });
    const pod = named<Workload>(objects, 'Deployment', 'pm-patient-rpc').spec.template.spec;
    expect(volume(pod, 'jwks').configMap).toEqual({ name: 'keys', items: [{ key: 'jwks.json', path: 'jwks.json' }] });
  });
});
