import { experimental } from '@grpc/grpc-js';
import type { KubeConfig } from '@kubernetes/client-node';
import { createDnsSource } from './createDnsSource.js';
import { createFileSource } from './createFileSource.js';
import { createKubernetesSource, inClusterKubeConfig, type KubernetesSourceOptions } from './createKubernetesSource.js';
import { createResolverClass } from './createResolverClass.js';
import { createStaticSource } from './createStaticSource.js';
import type { DiscoveryLogger } from './DiscoveryLogger.js';
import { endpointKey } from './normalizeEndpoints.js';
import { parseDnsPollTarget, parseFileTarget, parseKubernetesTarget, parseStaticTarget } from './parseTargets.js';

/** URI schemes served by `registerDiscoveryResolvers`. `dns:` stays grpc-js's own. */
export const DISCOVERY_SCHEMES = ['static', 'file', 'dns-poll', 'kubernetes'] as const;

/** Channel options for round robin over every resolved endpoint (`grpc.lb_policy_name` is ignored by grpc-js). */
export const ROUND_ROBIN_CHANNEL_OPTIONS = {
  'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
} as const;

export interface DiscoveryDeps {
  /** API server access for `kubernetes:` targets; default: in-cluster config, loaded on first use. */
  kubeConfig?: KubeConfig;
  /** Namespace for `kubernetes:///service:port`; default: the kubeConfig context's (the pod's own in-cluster). */
  defaultNamespace?: string;
  /** Tuning for `kubernetes:` sources. */
  kubernetes?: Pick<KubernetesSourceOptions, 'resyncIntervalMs' | 'restartInitialMs' | 'restartMaxMs'>;
  /** Poll interval for `dns-poll:` targets without `?intervalMs=`. Default 5000 ms. */
  dnsIntervalMs?: number;
  /** Endpoint count per target, on every change (feed a gauge). */
  onEndpoints?: (count: number, target: string) => void;
  logger?: DiscoveryLogger;
}

/**
 * Registers, process-wide in this grpc-js copy, resolvers for
 * - `static:///10.0.0.1:50051,10.0.0.2:50051` (fixed list),
 * - `file:///etc/patient-api/endpoints.json` (a JSON array of "host:port", watched),
 * - `dns-poll:///name:port?intervalMs=5000&mode=lookup|resolve` (DNS re-resolved on a timer),
 * - `kubernetes:///service.namespace:port-or-name` (EndpointSlice watch).
 * Call it before creating a client with such a target: an unknown scheme silently falls
 * back to grpc-js's `dns:` resolver. Malformed targets throw InvalidTargetError when the
 * client is created.
 */
export function registerDiscoveryResolvers(deps: DiscoveryDeps = {}): void {
  let kubeConfig = deps.kubeConfig;
  const getKubeConfig = (): KubeConfig => (kubeConfig ??= inClusterKubeConfig());
  const defaultNamespace = (): string | undefined => {
    if (deps.defaultNamespace !== undefined) return deps.defaultNamespace;
    const config = getKubeConfig();
    return config.getContextObject(config.getCurrentContext())?.namespace;
  };
  const common = { onEndpoints: deps.onEndpoints, logger: deps.logger };

  experimental.registerResolver(
    'static',
    createResolverClass((uri) => createStaticSource(parseStaticTarget(uri)), {
      ...common,
      defaultAuthority: (uri) => endpointKey(parseStaticTarget(uri)[0]!),
    }),
  );
  experimental.registerResolver(
    'file',
    createResolverClass((uri) => createFileSource(parseFileTarget(uri)), {
      ...common,
      defaultAuthority: (uri) => parseFileTarget(uri).path,
    }),
  );
  experimental.registerResolver(
    'dns-poll',
    createResolverClass(
      (uri) => {
        const target = parseDnsPollTarget(uri);
        return createDnsSource({ ...target, intervalMs: target.intervalMs ?? deps.dnsIntervalMs });
      },
      { ...common, defaultAuthority: (uri) => endpointKey(parseDnsPollTarget(uri)) },
    ),
  );
  experimental.registerResolver(
    'kubernetes',
    createResolverClass(
      (uri) =>
        createKubernetesSource({
          ...parseKubernetesTarget(uri, defaultNamespace),
          ...deps.kubernetes,
          kubeConfig: getKubeConfig(),
        }),
      {
        ...common,
        defaultAuthority: (uri) => {
          const { service, namespace } = parseKubernetesTarget(uri, defaultNamespace);
          return `${service}.${namespace}.svc`;
        },
      },
    ),
  );
}
