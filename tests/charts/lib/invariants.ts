// Invariants every rendering of the charts must hold, whatever the values. Each check
// returns human-readable violations; an empty list means the manifests are sound.
import type { K8sObject } from './helm.ts';
import {
  type ConfigMap,
  type Container,
  type PodSpec,
  type SecurityContext,
  type Service,
  type Workload,
  matches,
  ofKind,
  preStopSeconds,
  serviceConfig,
  testPods,
  workloads,
} from './manifests.ts';

type Check = (objects: K8sObject[]) => string[];

function effective<K extends keyof SecurityContext>(key: K, container: Container, pod: PodSpec): SecurityContext[K] {
  return container.securityContext?.[key] ?? pod.securityContext?.[key];
}

/** Hardened container: non-root numeric user, read-only root, no escalation, no capabilities, seccomp. */
function securityViolations(id: string, container: Container, pod: PodSpec): string[] {
  const out: string[] = [];
  const sc = container.securityContext ?? {};
  if (effective('runAsNonRoot', container, pod) !== true) out.push(`${id}: runAsNonRoot is not true`);
  const uid = effective('runAsUser', container, pod);
  if (typeof uid !== 'number' || uid <= 0)
    out.push(`${id}: runAsUser must be a numeric non-root uid (got ${String(uid)})`);
  if (sc.readOnlyRootFilesystem !== true) out.push(`${id}: readOnlyRootFilesystem is not true`);
  if (sc.allowPrivilegeEscalation !== false) out.push(`${id}: allowPrivilegeEscalation is not false`);
  if (!sc.capabilities?.drop?.includes('ALL')) out.push(`${id}: capabilities.drop lacks ALL`);
  if ((sc.capabilities?.add ?? []).length > 0) out.push(`${id}: adds capabilities ${String(sc.capabilities?.add)}`);
  if (effective('seccompProfile', container, pod)?.type !== 'RuntimeDefault')
    out.push(`${id}: seccompProfile is not RuntimeDefault`);
  return out;
}

function imageViolations(id: string, image: string): string[] {
  const out: string[] = [];
  const withoutDigest = image.split('@')[0]!;
  const lastSegment = withoutDigest.split('/').at(-1)!;
  const tag = lastSegment.includes(':') ? lastSegment.split(':')[1] : undefined;
  if (tag === 'latest') out.push(`${id}: image ${image} uses the latest tag`);
  if (!tag && !image.includes('@')) out.push(`${id}: image ${image} has neither tag nor digest`);
  return out;
}

const containers: Check = (objects) => {
  const out: string[] = [];
  for (const w of workloads(objects)) {
    const pod = w.spec.template.spec;
    for (const c of pod.containers) {
      const id = `${w.kind}/${w.metadata.name}/${c.name}`;
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
        if (!c[probe]) out.push(`${id}: no ${probe}`);
        const port = c[probe]?.httpGet?.port;
        if (typeof port === 'string' && !c.ports?.some((p) => p.name === port)) {
          out.push(`${id}: ${probe} uses port "${port}", which the container does not declare`);
        }
      }
      if (!c.lifecycle?.preStop) out.push(`${id}: no preStop hook`);
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (c.resources?.[kind]?.[resource] === undefined) out.push(`${id}: no ${kind}.${resource}`);
        }
      }
      out.push(...securityViolations(id, c, pod), ...imageViolations(id, c.image));
    }
  }
  for (const p of testPods(objects)) {
    for (const c of p.spec.containers) {
      const id = `Pod/${p.metadata.name}/${c.name}`;
      out.push(...securityViolations(id, c, p.spec), ...imageViolations(id, c.image));
      if (!c.resources?.limits?.memory) out.push(`${id}: no limits.memory`);
    }
  }
  return out;
};

/** Native sidecars (init containers with restartPolicy Always) are hardened and bounded too. */
const sidecars: Check = (objects) => {
  const out: string[] = [];
  for (const w of workloads(objects)) {
    const pod = w.spec.template.spec;
    for (const c of pod.initContainers ?? []) {
      const id = `${w.kind}/${w.metadata.name}/${c.name}`;
      out.push(...securityViolations(id, c, pod), ...imageViolations(id, c.image));
      if (!c.resources?.limits?.memory) out.push(`${id}: no limits.memory`);
    }
  }
  return out;
};

/**
 * Every mount names a volume of the pod and none uses subPath: a subPath mount is fixed at
 * container start, so a renewed certificate or key set would never reach the process.
 * Secret volumes holding a private key (*.key, *key.pem) are not readable by others than owner and group.
 */
const mounts: Check = (objects) => {
  const out: string[] = [];
  for (const w of workloads(objects)) {
    const pod = w.spec.template.spec;
    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
    const claims = (
      (w.spec as { volumeClaimTemplates?: Array<{ metadata: { name: string } }> }).volumeClaimTemplates ?? []
    ).map((t) => t.metadata.name);
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      for (const m of c.volumeMounts ?? []) {
        const id = `${w.kind}/${w.metadata.name}/${c.name}: mount ${m.name}`;
        if (!volumes.has(m.name) && !claims.includes(m.name)) out.push(`${id} has no volume`);
        if (m.subPath !== undefined) out.push(`${id} uses subPath ${m.subPath} (never updated on rotation)`);
      }
    }
    for (const v of volumes.values()) {
      const keys = [
        ...(v.secret?.items ?? []),
        ...(v.projected?.sources ?? []).flatMap((src) => src.secret?.items ?? []),
      ].map((i) => i.path);
      const mode = v.secret?.defaultMode ?? v.projected?.defaultMode ?? 0o644;
      if (keys.some((k) => /(\.key|key\.pem)$/.test(k)) && (mode & 0o007) !== 0)
        out.push(`${w.kind}/${w.metadata.name}: volume ${v.name} holds a private key with mode 0${mode.toString(8)}`);
    }
  }
  return out;
};

/** grace > preStop + shutdownTimeout (read from the config file the pod mounts). */
const drainBudget: Check = (objects) => {
  const out: string[] = [];
  for (const w of workloads(objects)) {
    const pod = w.spec.template.spec;
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    const configMap = pod.volumes?.find((v) => v.name === 'config')?.configMap?.name;
    const shutdown = configMap
      ? Number(serviceConfig(objects, configMap)['lifecycle']?.['shutdownTimeoutSeconds'] ?? 0)
      : 0;
    for (const c of pod.containers) {
      const preStop = preStopSeconds(c);
      if (!(grace > preStop + shutdown)) {
        out.push(
          `${w.kind}/${w.metadata.name}: grace ${grace}s is not above preStop ${preStop}s + shutdownTimeout ${shutdown}s`,
        );
      }
    }
    if (configMap) {
      const lifecycle = serviceConfig(objects, configMap)['lifecycle'] ?? {};
      if (lifecycle['terminationGracePeriodSeconds'] !== grace) {
        out.push(
          `${w.kind}/${w.metadata.name}: config lifecycle.terminationGracePeriodSeconds differs from the pod's ${grace}`,
        );
      }
      const preStop = Math.max(...pod.containers.map(preStopSeconds));
      if (preStop > 0 && lifecycle['preStopSeconds'] !== preStop) {
        out.push(`${w.kind}/${w.metadata.name}: config lifecycle.preStopSeconds differs from the hook's ${preStop}`);
      }
    }
  }
  return out;
};

const selectors: Check = (objects) => {
  const out: string[] = [];
  const ws = workloads(objects);
  for (const w of ws) {
    if (!matches(w.spec.selector.matchLabels, w.spec.template.metadata.labels)) {
      out.push(`${w.kind}/${w.metadata.name}: selector does not match its pod labels`);
    }
  }
  for (const s of ofKind<Service>(objects, 'Service')) {
    const id = `Service/${s.metadata.name}`;
    if (!s.spec.selector || Object.keys(s.spec.selector).length === 0) {
      out.push(`${id}: no selector`);
      continue;
    }
    const targets = ws.filter((w) => matches(s.spec.selector, w.spec.template.metadata.labels));
    if (targets.length !== 1) {
      out.push(`${id}: selector matches ${targets.length} workloads (want exactly 1)`);
      continue;
    }
    const declared = targets[0]!.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
    for (const port of s.spec.ports) {
      if (typeof port.targetPort === 'string' && !declared.some((p) => p.name === port.targetPort)) {
        out.push(`${id}: targetPort "${port.targetPort}" is not a container port of ${targets[0]!.metadata.name}`);
      }
    }
  }
  // No other pod (e.g. the helm test pod) may carry a workload's selector labels.
  for (const p of testPods(objects)) {
    for (const w of ws) {
      if (matches(w.spec.selector.matchLabels, p.metadata.labels)) {
        out.push(`Pod/${p.metadata.name}: carries the selector labels of ${w.metadata.name}`);
      }
    }
  }
  for (const pdb of ofKind(objects, 'PodDisruptionBudget')) {
    const selector = (pdb['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    if (ws.filter((w) => matches(selector, w.spec.template.metadata.labels)).length !== 1) {
      out.push(`PodDisruptionBudget/${pdb.metadata.name}: selector does not match exactly one workload`);
    }
  }
  return out;
};

const autoscaling: Check = (objects) => {
  const out: string[] = [];
  const deployments = ofKind<Workload>(objects, 'Deployment');
  for (const hpa of ofKind(objects, 'HorizontalPodAutoscaler')) {
    const ref = (hpa['spec'] as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
    const target = deployments.find((d) => ref.kind === 'Deployment' && d.metadata.name === ref.name);
    if (!target) out.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: target ${ref.kind}/${ref.name} not rendered`);
    else if (target.spec.replicas !== undefined)
      out.push(`Deployment/${target.metadata.name}: sets replicas although an HPA owns it`);
  }
  for (const d of deployments) {
    const strategy = d.spec.strategy;
    if (strategy?.type !== 'RollingUpdate' || !strategy.rollingUpdate)
      out.push(`Deployment/${d.metadata.name}: not a RollingUpdate strategy`);
  }
  return out;
};

const rbac: Check = (objects) => {
  const out: string[] = [];
  const names = (kind: string) => new Set(ofKind(objects, kind).map((o) => o.metadata.name));
  const roles = names('Role');
  const accounts = names('ServiceAccount');
  for (const rb of ofKind(objects, 'RoleBinding')) {
    const spec = rb as unknown as {
      roleRef: { kind: string; name: string };
      subjects: Array<{ kind: string; name: string }>;
    };
    if (spec.roleRef.kind !== 'Role' || !roles.has(spec.roleRef.name))
      out.push(`RoleBinding/${rb.metadata.name}: role not rendered`);
    for (const s of spec.subjects) {
      if (s.kind === 'ServiceAccount' && !accounts.has(s.name))
        out.push(`RoleBinding/${rb.metadata.name}: subject ${s.name} not rendered`);
    }
  }
  for (const w of workloads(objects)) {
    const sa = w.spec.template.spec.serviceAccountName;
    if (sa && sa !== 'default' && !accounts.has(sa))
      out.push(`${w.kind}/${w.metadata.name}: ServiceAccount ${sa} not rendered`);
  }
  return out;
};

const hygiene: Check = (objects) => {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const o of objects) {
    const id = `${o.kind}/${o.metadata.name}`;
    if (seen.has(id)) out.push(`${id}: rendered twice`);
    seen.add(id);
    if (o.metadata.name.length > 63 && o.kind !== 'ConfigMap') out.push(`${id}: name longer than 63 characters`);
    if (o.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'Helm')
      out.push(`${id}: no app.kubernetes.io/managed-by label`);
  }
  // Configuration never carries credentials: the database URL comes from a Secret.
  for (const cm of ofKind<ConfigMap>(objects, 'ConfigMap')) {
    for (const [key, text] of Object.entries(cm.data ?? {})) {
      if (/postgres(ql)?:\/\//.test(text)) out.push(`ConfigMap/${cm.metadata.name}: ${key} contains a database URL`);
    }
  }
  for (const w of workloads(objects)) {
    for (const c of w.spec.template.spec.containers) {
      for (const e of c.env ?? []) {
        if (/PASSWORD|DATABASE__URL|TOKEN/.test(e.name) && e.value !== undefined) {
          out.push(`${w.kind}/${w.metadata.name}/${c.name}: env ${e.name} is a literal, not a secretKeyRef`);
        }
      }
    }
  }
  // Deployments that read a ConfigMap roll when it changes.
  for (const d of ofKind<Workload>(objects, 'Deployment')) {
    if (
      d.spec.template.spec.volumes?.some((v) => v.configMap) &&
      !/^[a-f0-9]{64}$/.test(d.spec.template.metadata.annotations?.['checksum/config'] ?? '')
    ) {
      out.push(`Deployment/${d.metadata.name}: no checksum/config annotation`);
    }
  }
  return out;
};

export const CHECKS: Record<string, Check> = {
  containers,
  sidecars,
  mounts,
  drainBudget,
  selectors,
  autoscaling,
  rbac,
  hygiene,
};

/** Every violation of every invariant, prefixed with the check's name. */
export function invariantViolations(objects: K8sObject[]): string[] {
  return Object.entries(CHECKS).flatMap(([name, check]) => check(objects).map((v) => `[${name}] ${v}`));
}
