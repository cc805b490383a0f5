// Typed views of the rendered objects the chart tests look into, and lookups over them.
import { parse } from 'yaml';
import type { K8sObject } from './helm.ts';

export interface Probe {
  httpGet?: { path: string; port: string | number };
  grpc?: { port: number; service?: string };
  exec?: { command: string[] };
  periodSeconds?: number;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string }>;
  args?: string[];
  /** Always on an init container makes it a native sidecar. */
  restartPolicy?: string;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext;
  terminationGracePeriodSeconds?: number;
  serviceAccountName?: string;
  volumes?: Volume[];
}

export interface KeyToPath {
  key: string;
  path: string;
}

export interface Volume {
  name: string;
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number };
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number };
  projected?: {
    defaultMode?: number;
    sources: Array<{
      secret?: { name: string; items?: KeyToPath[] };
      configMap?: { name: string; items?: KeyToPath[] };
    }>;
  };
  emptyDir?: Record<string, unknown>;
}

export interface Certificate extends K8sObject {
  spec: {
    secretName: string;
    duration?: string;
    renewBefore?: string;
    usages?: string[];
    uris?: string[];
    dnsNames?: string[];
    privateKey?: { algorithm?: string; size?: number; rotationPolicy?: string; encoding?: string };
    issuerRef: { name: string; kind?: string; group?: string };
  };
}

export interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    strategy?: { type: string; rollingUpdate?: { maxUnavailable: number | string; maxSurge: number | string } };
    template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  };
}

export interface Service extends K8sObject {
  spec: {
    type?: string;
    clusterIP?: string;
    publishNotReadyAddresses?: boolean;
    selector: Record<string, string>;
    ports: Array<{ name: string; port: number; targetPort: string | number; nodePort?: number }>;
  };
}

export interface NetworkPolicyPeer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string };
}

export interface NetworkPolicyRule {
  ports?: Array<{ port: number | string; protocol?: string }>;
  from?: NetworkPolicyPeer[];
  to?: NetworkPolicyPeer[];
}

export interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress?: NetworkPolicyRule[];
    egress?: NetworkPolicyRule[];
  };
}

export interface ConfigMap extends K8sObject {
  data: Record<string, string>;
}

export function ofKind<T extends K8sObject = K8sObject>(objects: K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

export function named<T extends K8sObject = K8sObject>(objects: K8sObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(
      `${kind}/${name} not rendered (have: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`,
    );
  return found as T;
}

/** Deployments and StatefulSets. */
export function workloads(objects: K8sObject[]): Workload[] {
  return objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet') as Workload[];
}

/** Test hook pods (helm.sh/hook: test). */
export function testPods(objects: K8sObject[]): Array<K8sObject & { spec: PodSpec }> {
  return objects.filter((o) => o.kind === 'Pod' && o.metadata.annotations?.['helm.sh/hook'] === 'test') as Array<
    K8sObject & { spec: PodSpec }
  >;
}

export function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** The parsed config.yaml of a service's ConfigMap. */
export function serviceConfig(objects: K8sObject[], name: string): Record<string, Record<string, unknown>> {
  const cm = named<ConfigMap>(objects, 'ConfigMap', name);
  return parse(cm.data['config.yaml']!) as Record<string, Record<string, unknown>>;
}

/** Seconds slept by a preStop hook (native sleep, or exec sleep N), 0 without one. */
export function preStopSeconds(container: Container): number {
  const hook = container.lifecycle?.preStop;
  if (hook?.sleep) return hook.sleep.seconds;
  const command = hook?.exec?.command;
  if (command && /(^|\/)sleep$/.test(command[0] ?? '')) return Number(command[1]);
  return 0;
}
