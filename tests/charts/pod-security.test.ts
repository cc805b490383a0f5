// kind-up labels the release namespace `pod-security.kubernetes.io/enforce: restricted`, and
// platform engineers do the same: every pod each value combination renders (Deployments,
// the PostgreSQL StatefulSet, `helm test` pods) must be admitted by the restricted profile.
import { describe, expect, it } from 'vitest';
import { render } from './lib/helm.ts';
import { podSpecs, restrictedViolations } from './lib/podSecurity.ts';
import { SCENARIOS } from './scenarios.ts';

describe('Pod Security "restricted" admits every pod the charts render', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    const pods = podSpecs(render(scenario.chart, scenario));
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.map((p) => ({ pod: p.name, violations: restrictedViolations(p.spec) }))).toEqual(
      pods.map((p) => ({ pod: p.name, violations: [] })),
    );
  });

  it('the check itself refuses what the profile refuses', () => {
    const compliant = {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [{ name: 'tmp', emptyDir: {} }],
      containers: [
        { name: 'app', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } },
      ],
    };
    expect(restrictedViolations(compliant)).toEqual([]);
    expect(
      restrictedViolations({
        hostNetwork: true,
        volumes: [{ name: 'host', hostPath: { path: '/' } }],
        securityContext: {},
        containers: [
          {
            name: 'app',
            ports: [{ hostPort: 80 }],
            securityContext: { runAsNonRoot: false, capabilities: { add: ['NET_ADMIN'] } },
          },
        ],
      }),
    ).toEqual([
      'hostNetwork',
      'volume host: hostPath',
      'container app: hostPort 80',
      'container app: allowPrivilegeEscalation is not false',
      'container app: runAsNonRoot is not true',
      'container app: seccompProfile unset',
      'container app: capabilities do not drop ALL',
      'container app: adds NET_ADMIN',
    ]);
  });
});
