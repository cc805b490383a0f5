// patient-api from outside the cluster: an Ingress (networking.k8s.io/v1, TLS at the
// controller) and a Gateway API HTTPRoute (gateway.networking.k8s.io/v1, TLS at the Gateway),
// both off by default, both aimed at the http port of patient-api's Service, and the
// NetworkPolicy letting the controller's pods in.
import { describe, expect, it } from 'vitest';
import { render, type K8sObject } from './lib/helm.ts';
import { type NetworkPolicy, type Service, named, ofKind } from './lib/manifests.ts';
import { schemaErrors } from './lib/validate.ts';

interface Ingress extends K8sObject {
  spec: {
    ingressClassName?: string;
    tls?: Array<{ secretName: string; hosts?: string[] }>;
    rules: Array<{
      host?: string;
      http: {
        paths: Array<{
          path: string;
          pathType: string;
          backend: { service: { name: string; port: { name: string } } };
        }>;
      };
    }>;
  };
}

interface HTTPRoute extends K8sObject {
  spec: {
    parentRefs: Array<Record<string, string>>;
    hostnames?: string[];
    rules: Array<{
      matches: Array<{ path: { type: string; value: string } }>;
      backendRefs: Array<{ name: string; port: number }>;
    }>;
  };
}

const VALUES = ['tests/charts/values/ingress.yaml'];

describe('Ingress and HTTPRoute for patient-api', () => {
  it('neither is rendered by default', () => {
    for (const objects of [render('patient-mesh'), render('patient-api')]) {
      expect(ofKind(objects, 'Ingress')).toEqual([]);
      expect(ofKind(objects, 'HTTPRoute')).toEqual([]);
    }
  });

  const objects = render('patient-mesh', { valuesFiles: VALUES });
  const service = named<Service>(objects, 'Service', 'pm-patient-api');

  it("the Ingress routes its hosts to the Service's http port, with TLS from the named Secret and the class and annotations given", () => {
    const ingress = named<Ingress>(objects, 'Ingress', 'pm-patient-api');
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
    expect(ingress.spec.tls).toEqual([{ secretName: 'pm-api-ingress-tls', hosts: ['api.patient-mesh.example.com'] }]);
    expect(ingress.spec.rules).toEqual([
      {
        host: 'api.patient-mesh.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'pm-patient-api', port: { name: 'http' } } } },
          ],
        },
      },
    ]);
    expect(service.spec.ports.map((p) => p.name)).toContain('http');
  });

  it('an Ingress with no hosts and no TLS Secret answers every host over plain HTTP', () => {
    const ingress = named<Ingress>(
      render('patient-api', { values: { ingress: { enabled: true } } }),
      'Ingress',
      'pm-patient-api',
    );
    expect(ingress.spec.tls).toBeUndefined();
    expect(ingress.spec.rules).toHaveLength(1);
    expect(ingress.spec.rules[0]!.host).toBeUndefined();
  });

  it("the HTTPRoute attaches to the Gateway's listener and sends its hostnames to the Service's http port; no TLS of its own", () => {
    const route = named<HTTPRoute>(objects, 'HTTPRoute', 'pm-patient-api');
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.spec.parentRefs).toEqual([{ name: 'public', namespace: 'gateway-system', sectionName: 'https' }]);
    expect(route.spec.hostnames).toEqual(['api.patient-mesh.example.com']);
    const http = service.spec.ports.find((p) => p.name === 'http')!;
    expect(route.spec.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ name: 'pm-patient-api', port: http.port }],
      },
    ]);
    expect(JSON.stringify(route.spec)).not.toMatch(/tls|certificate/i);
  });

  it('both validate: the Ingress against Kubernetes, the HTTPRoute against the Gateway API schemas', async () => {
    expect(await schemaErrors(objects.filter((o) => o.kind === 'Ingress' || o.kind === 'HTTPRoute'))).toEqual([]);
    // The Gateway API schema refuses what the API server would.
    const route = structuredClone(named<HTTPRoute>(objects, 'HTTPRoute', 'pm-patient-api'));
    route.spec.rules[0]!.matches[0]!.path.type = 'Prefix';
    expect((await schemaErrors([route])).join('\n')).toMatch(/HTTPRoute\/pm-patient-api: .*type/);
  });

  it("patient-api's http port admits the ingress controller's and the Gateway's namespaces only", () => {
    const policy = named<NetworkPolicy>(objects, 'NetworkPolicy', 'pm-patient-api');
    const http = policy.spec.ingress!.find((r) => r.ports?.some((p) => p.port === 'http'))!;
    expect(http.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway-system' } } },
    ]);
  });
});
