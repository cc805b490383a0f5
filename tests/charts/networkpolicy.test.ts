// NetworkPolicy: each pod is default-deny in both directions, and the policies allow
// exactly the flows of the design (api -> rpc -> database, DNS, OTLP, API server for the
// EndpointSlice watch, metrics scrapes from monitoring), nothing else.
import { describe, expect, it } from 'vitest';
import type { K8sObject } from './lib/helm.ts';
import { render } from './lib/helm.ts';
import {
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyRule,
  matches,
  ofKind,
  workloads,
} from './lib/manifests.ts';

function labels(selector: { matchLabels?: Record<string, string> } | undefined): string {
  const entries = Object.entries(selector?.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '*' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

function peer(p: NetworkPolicyPeer): string {
  const parts: string[] = [];
  if (p.namespaceSelector) parts.push(`ns{${labels(p.namespaceSelector)}}`);
  if (p.podSelector) parts.push(`pods{${labels(p.podSelector)}}`);
  if (p.ipBlock) parts.push(`ip{${p.ipBlock.cidr}}`);
  return parts.join('+');
}

/** One line per (direction, pod, port, peer): "egress patient-api 50051/TCP to pods{...}". */
function flows(objects: K8sObject[]): string[] {
  const out: string[] = [];
  for (const np of ofKind<NetworkPolicy>(objects, 'NetworkPolicy')) {
    const owner = np.spec.podSelector.matchLabels['app.kubernetes.io/name'];
    const rules: Array<['ingress' | 'egress', NetworkPolicyRule]> = [
      ...(np.spec.ingress ?? []).map((r) => ['ingress', r] as ['ingress', NetworkPolicyRule]),
      ...(np.spec.egress ?? []).map((r) => ['egress', r] as ['egress', NetworkPolicyRule]),
    ];
    for (const [direction, rule] of rules) {
      const peers = (direction === 'ingress' ? rule.from : rule.to) ?? [];
      for (const port of rule.ports ?? [{ port: 'all' }]) {
        for (const p of peers.length > 0 ? peers.map(peer) : ['any']) {
          out.push(
            `${direction} ${owner} ${port.port}/${port.protocol ?? 'TCP'} ${direction === 'ingress' ? 'from' : 'to'} ${p}`,
          );
        }
      }
    }
  }
  return out.sort();
}

const DNS = 'ns{*}+pods{k8s-app=kube-dns}';
const MONITORING = 'ns{kubernetes.io/metadata.name=monitoring}';
const pods = (name: string) => `pods{app.kubernetes.io/instance=pm,app.kubernetes.io/name=${name}}`;

const BASE = [
  `ingress patient-api http/TCP from any`,
  `ingress patient-api admin/TCP from ${MONITORING}`,
  `egress patient-api 50051/TCP to ${pods('patient-rpc')}`,
  `egress patient-api 53/UDP to ${DNS}`,
  `egress patient-api 53/TCP to ${DNS}`,
  `egress patient-api 443/TCP to any`,
  `egress patient-api 6443/TCP to any`,
  `ingress patient-rpc grpc/TCP from ${pods('patient-api')}`,
  `ingress patient-rpc admin/TCP from ${MONITORING}`,
  `egress patient-rpc 53/UDP to ${DNS}`,
  `egress patient-rpc 53/TCP to ${DNS}`,
];

describe('NetworkPolicy flows', () => {
  it('defaults: exactly api <- any, api -> rpc -> postgresql, DNS, API server, scrapes from monitoring', () => {
    expect(flows(render('patient-mesh'))).toEqual(
      [
        ...BASE,
        `egress patient-rpc 5432/TCP to ${pods('postgresql')}`,
        `ingress postgresql postgresql/TCP from ${pods('patient-rpc')}`,
      ].sort(),
    );
  });

  it('with tracing on: OTLP 4317/4318 egress is added for both services', () => {
    const objects = render('patient-mesh', {
      values: { global: { telemetry: { otlpEndpoint: 'http://jaeger.observability:4318' } } },
    });
    expect(flows(objects)).toEqual(
      [
        ...BASE,
        `egress patient-rpc 5432/TCP to ${pods('postgresql')}`,
        `ingress postgresql postgresql/TCP from ${pods('patient-rpc')}`,
        'egress patient-api 4317/TCP to any',
        'egress patient-api 4318/TCP to any',
        'egress patient-rpc 4317/TCP to any',
        'egress patient-rpc 4318/TCP to any',
      ].sort(),
    );
  });

  it('external database: rpc reaches the configured ipBlock; no PostgreSQL policy', () => {
    const objects = render('patient-mesh', { valuesFiles: ['tests/charts/values/external-db.yaml'] });
    expect(flows(objects)).toEqual([...BASE, 'egress patient-rpc 5432/TCP to ip{10.20.0.0/16}'].sort());
  });

  it('a dns:/// rpc target needs no API server egress', () => {
    const values = {
      'patient-api': { config: { rpc: { target: 'dns:///pm-patient-rpc-headless.patient-mesh.svc:50051' } } },
    };
    const apiFlows = flows(render('patient-mesh', { values })).filter((f) => f.includes(' patient-api '));
    expect(apiFlows.filter((f) => /443|6443/.test(f))).toEqual([]);
  });

  it('every policy is default-deny in both directions', () => {
    for (const np of ofKind<NetworkPolicy>(render('patient-mesh'), 'NetworkPolicy')) {
      expect(np.spec.policyTypes.sort(), np.metadata.name).toEqual(['Egress', 'Ingress']);
    }
  });

  it('pod peers select rendered pods, on ports those pods declare', () => {
    const objects = render('patient-mesh');
    const ws = workloads(objects);
    for (const np of ofKind<NetworkPolicy>(objects, 'NetworkPolicy')) {
      const selected = ws.filter((w) => matches(np.spec.podSelector.matchLabels, w.spec.template.metadata.labels));
      expect(selected.length, `${np.metadata.name} selects one workload`).toBe(1);
      const ownPorts = selected[0]!.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
      for (const rule of np.spec.ingress ?? []) {
        for (const port of rule.ports ?? []) {
          const ok = ownPorts.some((p) => p.name === port.port || p.containerPort === port.port);
          expect(ok, `${np.metadata.name} ingress port ${port.port}`).toBe(true);
        }
      }
      for (const rule of [...(np.spec.ingress ?? []).map((r) => r.from), ...(np.spec.egress ?? []).map((r) => r.to)]) {
        for (const p of rule ?? []) {
          if (!p.podSelector || p.namespaceSelector) continue;
          const targets = ws.filter((w) => matches(p.podSelector!.matchLabels ?? {}, w.spec.template.metadata.labels));
          expect(targets.length, `${np.metadata.name} peer ${peer(p)} selects a rendered workload`).toBe(1);
        }
      }
      for (const rule of np.spec.egress ?? []) {
        for (const p of rule.to ?? []) {
          if (!p.podSelector || p.namespaceSelector) continue;
          const target = ws.find((w) => matches(p.podSelector!.matchLabels ?? {}, w.spec.template.metadata.labels))!;
          const declared = target.spec.template.spec.containers
            .flatMap((c) => c.ports ?? [])
            .map((x) => x.containerPort);
          for (const port of rule.ports ?? [])
            expect(declared, `${np.metadata.name} egress port ${port.port}`).toContain(port.port);
        }
      }
    }
  });

  it('networkPolicy.enabled=false renders none', () => {
    const values = {
      'patient-api': { networkPolicy: { enabled: false } },
      'patient-rpc': { networkPolicy: { enabled: false } },
      networkPolicy: { enabled: false },
    };
    expect(ofKind(render('patient-mesh', { values }), 'NetworkPolicy')).toEqual([]);
  });
});
