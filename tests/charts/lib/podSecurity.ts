// The Pod Security Standards' "restricted" profile (which includes "baseline"), as the
// admission controller checks a pod spec at version "latest": the controls the charts'
// pods could break. kind-up labels the release namespace to enforce it, so a pod that
// breaks one is refused there. https://kubernetes.io/docs/concepts/security/pod-security-standards/
import type { K8sObject } from './helm.ts';

interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  procMount?: string;
  windowsOptions?: { hostProcess?: boolean };
}

interface Container {
  name: string;
  securityContext?: SecurityContext;
  ports?: Array<{ hostPort?: number }>;
}

export interface PodSpecForAdmission {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext & { sysctls?: Array<{ name: string }> };
  volumes?: Array<Record<string, unknown> & { name: string }>;
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
}

/** Volume sources the restricted profile admits. */
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SECCOMP_OK = new Set(['RuntimeDefault', 'Localhost']);

/** What the restricted profile refuses in one pod spec; empty when it admits it. */
export function restrictedViolations(spec: PodSpecForAdmission): string[] {
  const v: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork) v.push('hostNetwork');
  if (spec.hostPID) v.push('hostPID');
  if (spec.hostIPC) v.push('hostIPC');
  for (const volume of spec.volumes ?? []) {
    const source = Object.keys(volume).find((k) => k !== 'name');
    if (!source || !RESTRICTED_VOLUMES.has(source)) v.push(`volume ${volume.name}: ${source ?? 'no source'}`);
  }
  for (const s of pod.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) v.push(`sysctl ${s.name}`);
  if (pod.runAsUser === 0) v.push('pod runAsUser 0');
  if (pod.seccompProfile?.type && !SECCOMP_OK.has(pod.seccompProfile.type))
    v.push(`pod seccompProfile ${pod.seccompProfile.type}`);

  const all = [...(spec.initContainers ?? []), ...spec.containers, ...(spec.ephemeralContainers ?? [])];
  for (const c of all) {
    const sc = c.securityContext ?? {};
    const at = `container ${c.name}`;
    if (sc.privileged) v.push(`${at}: privileged`);
    if (sc.windowsOptions?.hostProcess || pod.windowsOptions?.hostProcess) v.push(`${at}: hostProcess`);
    if (sc.procMount && sc.procMount !== 'Default') v.push(`${at}: procMount ${sc.procMount}`);
    for (const p of c.ports ?? []) if (p.hostPort) v.push(`${at}: hostPort ${p.hostPort}`);
    if (sc.allowPrivilegeEscalation !== false) v.push(`${at}: allowPrivilegeEscalation is not false`);
    // The container's setting wins over the pod's.
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) v.push(`${at}: runAsNonRoot is not true`);
    if (sc.runAsUser === 0) v.push(`${at}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (!seccomp || !SECCOMP_OK.has(seccomp)) v.push(`${at}: seccompProfile ${seccomp ?? 'unset'}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push(`${at}: capabilities do not drop ALL`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') v.push(`${at}: adds ${cap}`);
  }
  return v;
}

/** Every pod spec the objects would create: Pods, workload templates, Jobs and CronJobs. */
export function podSpecs(objects: K8sObject[]): Array<{ name: string; spec: PodSpecForAdmission }> {
  const specs: Array<{ name: string; spec: PodSpecForAdmission }> = [];
  for (const o of objects) {
    const spec = o['spec'] as Record<string, any> | undefined;
    const template =
      o.kind === 'Pod'
        ? spec
        : o.kind === 'CronJob'
          ? spec?.['jobTemplate']?.spec?.template?.spec
          : ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(o.kind)
            ? spec?.['template']?.spec
            : undefined;
    if (template) specs.push({ name: `${o.kind}/${o.metadata.name}`, spec: template as PodSpecForAdmission });
  }
  return specs;
}
