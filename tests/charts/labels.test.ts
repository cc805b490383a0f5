// Kubernetes' recommended labels on every pod (so `kubectl logs -l
// app.kubernetes.io/part-of=patient-mesh` finds them all), while the workload selectors stay
// exactly what earlier releases created: a selector is immutable, and a changed one makes
// `helm upgrade` fail.
import { beforeAll, describe, expect, it } from 'vitest';
import { render, type K8sObject } from './lib/helm.ts';
import { matches, testPods, workloads } from './lib/manifests.ts';
import { SCENARIOS } from './scenarios.ts';

/** The selectors the charts have always rendered (release "pm"), by workload. */
const SELECTORS: Record<string, Record<string, string>> = {
  'Deployment/pm-patient-api': { 'app.kubernetes.io/name': 'patient-api', 'app.kubernetes.io/instance': 'pm' },
  'Deployment/pm-patient-rpc': { 'app.kubernetes.io/name': 'patient-rpc', 'app.kubernetes.io/instance': 'pm' },
  'StatefulSet/pm-postgresql': { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': 'pm' },
};

const COMPONENTS: Record<string, string> = {
  'patient-api': 'gateway',
  'patient-rpc': 'server',
  postgresql: 'database',
};

const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

describe.each(SCENARIOS)('$name', (scenario) => {
  let objects: K8sObject[] = [];
  beforeAll(() => {
    objects = render(scenario.chart, scenario);
  });

  it('every pod template carries the selector labels and the standard ones, helm.sh/chart aside', () => {
    const rendered = workloads(objects);
    expect(rendered.length).toBeGreaterThan(0);
    for (const w of rendered) {
      const labels = w.spec.template.metadata.labels;
      const name = w.spec.selector.matchLabels['app.kubernetes.io/name']!;
      expect(matches(w.spec.selector.matchLabels, labels), id(w)).toBe(true);
      expect(labels, id(w)).toMatchObject({
        'app.kubernetes.io/part-of': 'patient-mesh',
        'app.kubernetes.io/component': COMPONENTS[name],
        'app.kubernetes.io/managed-by': 'Helm',
        'app.kubernetes.io/version': expect.stringMatching(/\S/),
      });
      // The chart version would roll every pod on an upgrade that changes nothing in them.
      expect(labels, id(w)).not.toHaveProperty(['helm.sh/chart']);
    }
  });

  it('a part-of=patient-mesh selector finds every pod, the helm test pod too', () => {
    const partOf = { 'app.kubernetes.io/part-of': 'patient-mesh' };
    const pods = [
      ...workloads(objects).map((w) => ({ id: id(w), labels: w.spec.template.metadata.labels })),
      ...testPods(objects).map((p) => ({ id: id(p), labels: p.metadata.labels })),
    ];
    expect(pods.filter((p) => !matches(partOf, p.labels)).map((p) => p.id)).toEqual([]);
  });

  it('keeps the workload selectors (and the PostgreSQL claim template labels) as they were', () => {
    for (const w of workloads(objects)) {
      expect(w.spec.selector, id(w)).toEqual({ matchLabels: SELECTORS[id(w)] });
      const claims = (w.spec as { volumeClaimTemplates?: K8sObject[] }).volumeClaimTemplates ?? [];
      for (const claim of claims)
        expect(claim.metadata.labels, `${id(w)} ${claim.metadata.name}`).toEqual(SELECTORS[id(w)]);
    }
  });
});
