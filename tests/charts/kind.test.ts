// The joint between `make kind-up` and the charts: kind-up installs cert-manager (pinned,
// with its CRDs) and applies k8s/cert-manager/issuers.yaml before the release; every
// Certificate the kind values render names the CA ClusterIssuer defined there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, parseManifests, render } from './lib/helm.ts';
import { type Certificate, ofKind } from './lib/manifests.ts';
import { schemaErrors } from './lib/validate.ts';

const issuers = parseManifests(readFileSync(join(ROOT, 'k8s', 'cert-manager', 'issuers.yaml'), 'utf8'));
const kindUp = readFileSync(join(ROOT, 'scripts', 'kind-up.sh'), 'utf8');
const versions = readFileSync(join(ROOT, 'k8s', 'observability', 'versions.env'), 'utf8');

describe('kind-up bootstraps cert-manager for the charts', () => {
  it('the issuers validate against the cert-manager CRDs', async () => {
    expect(await schemaErrors(issuers)).toEqual([]);
  });

  it('self-signed ClusterIssuer -> CA Certificate in the cert-manager namespace -> CA ClusterIssuer', () => {
    const byName = (kind: string, name: string) => issuers.find((o) => o.kind === kind && o.metadata.name === name);
    const ca = byName('ClusterIssuer', 'patient-mesh-ca')!['spec'] as { ca: { secretName: string } };
    const caCert = issuers.find(
      (o) => o.kind === 'Certificate' && (o as Certificate).spec.secretName === ca.ca.secretName,
    ) as Certificate & { spec: { isCA: boolean } };
    expect(caCert.metadata.namespace).toBe('cert-manager');
    expect(caCert.spec.isCA).toBe(true);
    const root = byName(caCert.spec.issuerRef.kind!, caCert.spec.issuerRef.name)!;
    expect(root['spec']).toEqual({ selfSigned: {} });
  });

  it('every Certificate of the kind release names that CA ClusterIssuer', () => {
    const objects = render('patient-mesh', {
      valuesFiles: ['k8s/kind/values.yaml'],
      values: { global: { image: { tag: 'abc1234' } } },
    });
    const certificates = ofKind<Certificate>(objects, 'Certificate');
    expect(certificates.map((c) => c.metadata.name).sort()).toEqual([
      'pm-patient-api',
      'pm-patient-rpc',
      'pm-postgresql',
    ]);
    for (const c of certificates)
      expect(c.spec.issuerRef, c.metadata.name).toEqual({
        name: 'patient-mesh-ca',
        kind: 'ClusterIssuer',
        group: 'cert-manager.io',
      });
  });

  it('kind-up makes the audit signing key Secret before the release and hands the release its name and verifier key', () => {
    const secret = /^AUDIT_KEY_SECRET=(\S+)$/m.exec(kindUp)?.[1];
    expect(secret).toBe('patient-mesh-audit-signing-key');
    const createdAt = kindUp.indexOf('create secret generic "$AUDIT_KEY_SECRET"');
    const releaseAt = kindUp.indexOf('"$HELM" upgrade --install "$RELEASE"');
    expect(createdAt).toBeGreaterThan(0);
    expect(releaseAt).toBeGreaterThan(createdAt);
    // The key lives in $PM_DEV_DIR (default .dev); kind-up.test.ts runs kind-up and checks the Secret's content.
    expect(kindUp).toContain('AUDIT_KEY_FILE="$DEV_DIR/audit-signing-key.pem"');
    expect(kindUp).toContain('"$ROOT/scripts/audit-key.ts" --out "$AUDIT_KEY_FILE" --origin patient-mesh/audit');
    expect(kindUp).toContain('--from-file=signing-key.pem="$AUDIT_KEY_FILE"');
    expect(kindUp).toContain('--set "patient-rpc.audit.checkpoints.signingKeySecret=$AUDIT_KEY_SECRET"');
    expect(kindUp).toContain('--set-string "patient-rpc.audit.checkpoints.verifierKey=$AUDIT_VERIFIER_KEY"');
    // The Secret key and the origin are the chart's defaults.
    const rpcValues = parse(readFileSync(join(ROOT, 'charts', 'patient-rpc', 'values.yaml'), 'utf8')) as {
      audit: { checkpoints: { signingKeyKey: string } };
      config: { audit: { checkpoints: { origin: string } } };
    };
    expect(rpcValues.audit.checkpoints.signingKeyKey).toBe('signing-key.pem');
    expect(rpcValues.config.audit.checkpoints.origin).toBe('patient-mesh/audit');
  });

  it('kind-up installs the pinned cert-manager with its CRDs and the issuers before the release', () => {
    expect(versions).toMatch(/^CERT_MANAGER_VERSION=v\d+\.\d+\.\d+$/m);
    expect(kindUp).toContain('jetstack/cert-manager');
    expect(kindUp).toContain('--version "$CERT_MANAGER_VERSION" --set crds.enabled=true');
    const issuersAt = kindUp.indexOf('k8s/cert-manager/issuers.yaml"');
    const releaseAt = kindUp.indexOf('"$HELM" upgrade --install "$RELEASE"');
    expect(issuersAt).toBeGreaterThan(0);
    expect(releaseAt).toBeGreaterThan(issuersAt);
  });
});
