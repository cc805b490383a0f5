// Validates rendered objects against the Kubernetes OpenAPI schemas (kubernetes-models),
// the Prometheus Operator, cert-manager, Istio and Gateway API CRD schemas
// (@kubernetes-models/*), CloudNativePG's against its vendored CRD (crdSchema.ts), and,
// for Linkerd (no models package on npm), the fields of its policy CRDs the charts use.
import { crdErrors, hasCrd } from './crdSchema.ts';
import type { K8sObject } from './helm.ts';
import { linkerdErrors } from './linkerd.ts';

interface ModelClass {
  new (data: unknown): { validate(): void };
}

const MODULES: Record<string, () => Promise<Record<string, unknown>>> = {
  v1: () => import('kubernetes-models/v1'),
  'apps/v1': () => import('kubernetes-models/apps/v1'),
  'autoscaling/v2': () => import('kubernetes-models/autoscaling/v2'),
  'policy/v1': () => import('kubernetes-models/policy/v1'),
  'networking.k8s.io/v1': () => import('kubernetes-models/networking.k8s.io/v1'),
  'rbac.authorization.k8s.io/v1': () => import('kubernetes-models/rbac.authorization.k8s.io/v1'),
  'monitoring.coreos.com/v1': () => import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'),
  'cert-manager.io/v1': () => import('@kubernetes-models/cert-manager/cert-manager.io/v1'),
  'security.istio.io/v1': () => import('@kubernetes-models/istio/security.istio.io/v1'),
  'gateway.networking.k8s.io/v1': () => import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1'),
};

/** Returns "Kind/name: message" for each object that does not validate (or has no schema). */
export async function schemaErrors(objects: K8sObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata?.name}`;
    if (object.apiVersion.startsWith('policy.linkerd.io/')) {
      errors.push(...linkerdErrors(object).map((e) => `${id}: ${e}`));
      continue;
    }
    if (hasCrd(object.apiVersion, object.kind)) {
      errors.push(...crdErrors(object).map((e) => `${id}: ${e}`));
      continue;
    }
    const load = MODULES[object.apiVersion];
    if (!load) {
      errors.push(`${id}: no schema for apiVersion ${object.apiVersion}`);
      continue;
    }
    const Model = (await load())[object.kind] as ModelClass | undefined;
    if (!Model) {
      errors.push(`${id}: no schema for kind ${object.kind} in ${object.apiVersion}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      errors.push(`${id}: ${(error as Error).message}`);
    }
  }
  return errors;
}
