// Sidecar mesh mode: with mesh.provider istio or linkerd the proxy does mTLS, so the charts
// render config.tls.mode mesh and no Certificate, inject the proxy as a native sidecar that
// holds the app until it is ready, and render the mesh's own authorisation so that only
// patient-api's identity may call patient-rpc's gRPC port.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { render, type K8sObject } from './lib/helm.ts';
import { type NetworkPolicy, type Workload, named, ofKind, serviceConfig } from './lib/manifests.ts';

const NS = 'trials';
const SERVICES = ['patient-api', 'patient-rpc'] as const;

function umbrella(provider: 'istio' | 'linkerd', values: Record<string, unknown> = {}): K8sObject[] {
  return render('patient-mesh', {
    namespace: NS,
    valuesFiles: [`tests/charts/values/mesh-${provider}.yaml`],
    values,
  });
}

function podMeta(objects: K8sObject[], chart: string) {
  return named<Workload>(objects, 'Deployment', `pm-${chart}`).spec.template.metadata;
}

function spec<T>(object: K8sObject): T {
  return object['spec'] as T;
}

describe.each(['istio', 'linkerd'] as const)('%s: in-app TLS off', (provider) => {
  const objects = umbrella(provider);

  it('no Certificate for the services, no certificate volume, config.tls.mode mesh', () => {
    expect(ofKind(objects, 'Certificate').map((c) => c.metadata.name)).toEqual(['pm-postgresql']);
    for (const chart of SERVICES) {
      const pod = named<Workload>(objects, 'Deployment', `pm-${chart}`).spec.template.spec;
      expect(pod.volumes?.map((v) => v.name)).not.toContain('tls');
      const tls = serviceConfig(objects, `pm-${chart}`)['tls']!;
      expect(tls['mode']).toBe('mesh');
      expect(tls).not.toHaveProperty('certFile');
    }
  });

  it('readiness stays on /readyz over the admin port', () => {
    const c = named<Workload>(objects, 'Deployment', 'pm-patient-rpc').spec.template.spec.containers[0]!;
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'admin' });
  });

  it('each service may reach the mesh control plane (and nothing new besides)', () => {
    const expected =
      provider === 'istio' ? { ports: [15012], ns: 'istio-system' } : { ports: [8080, 8086, 8090], ns: 'linkerd' };
    for (const chart of SERVICES) {
      const np = named<NetworkPolicy>(objects, 'NetworkPolicy', `pm-${chart}`);
      const rule = np.spec.egress!.find((e) =>
        e.to?.some((p) => p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === expected.ns),
      );
      expect(rule?.ports?.map((p) => p.port)).toEqual(expected.ports);
    }
    const without = render('patient-mesh', { namespace: NS });
    for (const chart of SERVICES) {
      const np = named<NetworkPolicy>(without, 'NetworkPolicy', `pm-${chart}`);
      expect(JSON.stringify(np.spec.egress)).not.toMatch(/istio-system|"linkerd"/);
    }
  });
});

describe('Istio', () => {
  const objects = umbrella('istio');

  it.each(SERVICES)('%s: injected as a native sidecar that holds the app until Envoy is ready', (chart) => {
    const meta = podMeta(objects, chart);
    expect(meta.labels['sidecar.istio.io/inject']).toBe('true');
    expect(meta.annotations?.['sidecar.istio.io/nativeSidecar']).toBe('true');
    const proxy = parse(meta.annotations!['proxy.istio.io/config']!) as Record<string, unknown>;
    expect(proxy).toEqual({ holdApplicationUntilProxyStarts: true, terminationDrainDuration: '3s' });
  });

  it('Envoy drain + preStop + in-app drain fit the grace period', () => {
    for (const chart of SERVICES) {
      const d = named<Workload>(objects, 'Deployment', `pm-${chart}`);
      const lifecycle = serviceConfig(objects, `pm-${chart}`)['lifecycle'] as Record<string, number>;
      const drain = parseInt(
        (parse(podMeta(objects, chart).annotations!['proxy.istio.io/config']!) as { terminationDrainDuration: string })
          .terminationDrainDuration,
      );
      expect(lifecycle['preStopSeconds']! + lifecycle['shutdownTimeoutSeconds']! + drain).toBeLessThan(
        d.spec.template.spec.terminationGracePeriodSeconds!,
      );
    }
  });

  it('PeerAuthentication: STRICT mTLS on patient-rpc, the admin port left PERMISSIVE for probes and Prometheus', () => {
    const pa = named(objects, 'PeerAuthentication', 'pm-patient-rpc');
    expect(pa.apiVersion).toBe('security.istio.io/v1');
    expect(spec(pa)).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'patient-rpc', 'app.kubernetes.io/instance': 'pm' } },
      mtls: { mode: 'STRICT' },
      portLevelMtls: { 9091: { mode: 'PERMISSIVE' } },
    });
  });

  it("AuthorizationPolicy: the gRPC port for patient-api's principal only", () => {
    const ap = named(objects, 'AuthorizationPolicy', 'pm-patient-rpc');
    expect(ap.apiVersion).toBe('security.istio.io/v1');
    const apiAccount = named<Workload>(objects, 'Deployment', 'pm-patient-api').spec.template.spec.serviceAccountName;
    const s = spec<{
      selector: { matchLabels: Record<string, string> };
      action: string;
      rules: Array<{
        from?: Array<{ source: { principals: string[] } }>;
        to: Array<{ operation: { ports: string[] } }>;
      }>;
    }>(ap);
    expect(s.action).toBe('ALLOW');
    expect(s.selector.matchLabels['app.kubernetes.io/name']).toBe('patient-rpc');
    const grpc = s.rules.filter((r) => r.to.some((t) => t.operation.ports.includes('50051')));
    expect(grpc).toEqual([
      {
        from: [{ source: { principals: [`cluster.local/ns/${NS}/sa/${apiAccount}`] } }],
        to: [{ operation: { ports: ['50051'] } }],
      },
    ]);
    // The only other rule opens the admin port (no patient data there).
    expect(s.rules.filter((r) => !grpc.includes(r))).toEqual([{ to: [{ operation: { ports: ['9091'] } }] }]);
  });

  it('the principal follows a renamed patient-api ServiceAccount and trust domain', () => {
    const renamed = umbrella('istio', {
      'patient-api': { serviceAccount: { name: 'gateway' }, tls: { trustDomain: 'mesh.example' } },
      'patient-rpc': { tls: { peerServiceAccount: 'gateway', trustDomain: 'mesh.example' } },
    });
    const rules = spec<{ rules: Array<{ from?: Array<{ source: { principals: string[] } }> }> }>(
      named(renamed, 'AuthorizationPolicy', 'pm-patient-rpc'),
    ).rules;
    expect(rules[0]!.from![0]!.source.principals).toEqual([`mesh.example/ns/${NS}/sa/gateway`]);
  });

  it('the Envoy drain that does not fit the grace period is refused', () => {
    expect(() =>
      umbrella('istio', { 'patient-rpc': { mesh: { provider: 'istio', istio: { terminationDrainSeconds: 5 } } } }),
    ).toThrow(
      'lifecycle.shutdownTimeoutSeconds (20) + lifecycle.preStopSeconds (5) + mesh.istio.terminationDrainSeconds (5) must be less than lifecycle.terminationGracePeriodSeconds (30)',
    );
  });
});

describe('Linkerd', () => {
  const objects = umbrella('linkerd');

  it.each(SERVICES)('%s: injected as a native sidecar, the app awaiting the proxy', (chart) => {
    expect(podMeta(objects, chart).annotations).toMatchObject({
      'linkerd.io/inject': 'enabled',
      'config.alpha.linkerd.io/proxy-enable-native-sidecar': 'true',
      'config.beta.linkerd.io/proxy-enable-native-sidecar': 'true',
      'config.linkerd.io/proxy-await': 'enabled',
    });
  });

  it("Server + MeshTLSAuthentication + AuthorizationPolicy: patient-rpc's gRPC port for patient-api's ServiceAccount only", () => {
    const server = named(objects, 'Server', 'pm-patient-rpc-grpc');
    expect(server.apiVersion).toBe('policy.linkerd.io/v1beta3');
    expect(spec(server)).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'patient-rpc', 'app.kubernetes.io/instance': 'pm' } },
      port: 'grpc',
      proxyProtocol: 'gRPC',
      accessPolicy: 'deny',
    });
    const apiAccount = named<Workload>(objects, 'Deployment', 'pm-patient-api').spec.template.spec.serviceAccountName;
    const authn = named(objects, 'MeshTLSAuthentication', 'pm-patient-rpc-clients');
    expect(spec(authn)).toEqual({ identityRefs: [{ kind: 'ServiceAccount', name: apiAccount, namespace: NS }] });
    const policy = named(objects, 'AuthorizationPolicy', 'pm-patient-rpc-grpc');
    expect(policy.apiVersion).toBe('policy.linkerd.io/v1alpha1');
    expect(spec(policy)).toEqual({
      targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: server.metadata.name },
      requiredAuthenticationRefs: [
        { group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: authn.metadata.name },
      ],
    });
  });

  it('the Server names a port the rpc container declares', () => {
    const ports = named<Workload>(objects, 'Deployment', 'pm-patient-rpc').spec.template.spec.containers[0]!.ports!;
    expect(ports.map((p) => p.name)).toContain(
      spec<{ port: string }>(named(objects, 'Server', 'pm-patient-rpc-grpc')).port,
    );
  });
});

describe('no mesh (defaults)', () => {
  it('no mesh labels, annotations or policies', () => {
    const objects = render('patient-mesh');
    for (const chart of SERVICES) {
      const meta = podMeta(objects, chart);
      expect(Object.keys({ ...meta.labels, ...meta.annotations }).filter((k) => /istio|linkerd/.test(k))).toEqual([]);
    }
    for (const kind of ['PeerAuthentication', 'AuthorizationPolicy', 'Server', 'MeshTLSAuthentication'])
      expect(ofKind(objects, kind)).toEqual([]);
  });
});
