// What a kubelet and a Deployment controller need from a rendered chart: replicas, the
// rolling-update strategy, grace period, preStop, the readiness probe, container ports
// and the app's lifecycle config (from the chart's ConfigMap).
import { parse as parseYaml } from 'yaml';
import { render, type Chart, type K8sObject } from '../../charts/lib/helm.ts';

export type ReadinessProbe =
  { kind: 'http'; path: string; port: string | number } | { kind: 'grpc'; port: string | number; service: string };

export interface WorkloadSpec {
  name: string;
  replicas: number;
  maxSurge: number;
  maxUnavailable: number;
  terminationGracePeriodSeconds: number;
  /** 0 when the chart renders no preStop hook. */
  preStopSeconds: number;
  readiness: ReadinessProbe & {
    initialDelaySeconds: number;
    periodSeconds: number;
    timeoutSeconds: number;
    successThreshold: number;
    failureThreshold: number;
  };
  /** Container port numbers by name. */
  ports: Record<string, number>;
  /** The `lifecycle` section of the config file the chart mounts. */
  lifecycleConfig: Record<string, number>;
}

interface Container {
  name: string;
  ports?: Array<{ name: string; containerPort: number }>;
  readinessProbe: Record<string, any>;
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: { command: string[] } } };
}

/** `maxSurge`/`maxUnavailable` as Kubernetes resolves them: surge rounds up, unavailable down. */
function resolveIntOrPercent(value: number | string | undefined, replicas: number, roundUp: boolean): number {
  if (value === undefined) return roundUp ? Math.ceil(replicas * 0.25) : Math.floor(replicas * 0.25);
  if (typeof value === 'number') return value;
  const fraction = (Number(value.replace('%', '')) / 100) * replicas;
  return roundUp ? Math.ceil(fraction) : Math.floor(fraction);
}

function preStopSeconds(container: Container): number {
  const hook = container.lifecycle?.preStop;
  if (hook?.sleep) return hook.sleep.seconds;
  const command = hook?.exec?.command ?? [];
  const i = command.findIndex((part) => part.endsWith('sleep'));
  return i >= 0 ? Number(command[i + 1]) : 0;
}

/** Renders `chart` (`helm template` with the pinned helm) and reads its one Deployment. */
export function workloadSpec(chart: Exclude<Chart, 'patient-mesh'>, values?: Record<string, unknown>): WorkloadSpec {
  const objects = render(chart, values ? { values } : {});
  const deployment = objects.find((o) => o.kind === 'Deployment') as K8sObject & { spec: any };
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && (o as any).data?.['config.yaml']) as
    (K8sObject & { data: Record<string, string> }) | undefined;
  if (!deployment) throw new Error(`${chart}: no Deployment rendered`);
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c: Container) => c.name === chart) as Container;
  const probe = container.readinessProbe;
  // With the HPA on, the Deployment carries no replicas: the HPA's minimum is what runs.
  const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler') as (K8sObject & { spec: any }) | undefined;
  const replicas: number = deployment.spec.replicas ?? hpa?.spec.minReplicas ?? 1;
  const rolling = deployment.spec.strategy?.rollingUpdate ?? {};
  const readiness: ReadinessProbe = probe['httpGet']
    ? { kind: 'http', path: probe['httpGet'].path, port: probe['httpGet'].port }
    : { kind: 'grpc', port: probe['grpc'].port, service: probe['grpc'].service ?? '' };
  const config = configMap ? (parseYaml(configMap.data['config.yaml']!) as { lifecycle?: Record<string, number> }) : {};
  return {
    name: chart,
    replicas,
    maxSurge: resolveIntOrPercent(rolling.maxSurge, replicas, true),
    maxUnavailable: resolveIntOrPercent(rolling.maxUnavailable, replicas, false),
    terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds ?? 30,
    preStopSeconds: preStopSeconds(container),
    readiness: {
      ...readiness,
      initialDelaySeconds: probe['initialDelaySeconds'] ?? 0,
      periodSeconds: probe['periodSeconds'] ?? 10,
      timeoutSeconds: probe['timeoutSeconds'] ?? 1,
      successThreshold: probe['successThreshold'] ?? 1,
      failureThreshold: probe['failureThreshold'] ?? 3,
    },
    ports: Object.fromEntries((container.ports ?? []).map((p) => [p.name, p.containerPort])),
    lifecycleConfig: config.lifecycle ?? {},
  };
}
