import { experimental } from '@grpc/grpc-js';
import type { KubeConfig } from '@kubernetes/client-node';
import { createDnsSource } from './createDnsSource.js';
import { createFileSource } from './createFileSource.js';
import type { KubernetesSourceOptions } from './createKubernetesSource.js';
import { createResolverClass } from './createResolverClass.js';
import { createStaticSource } from './createStaticSource.js';
import type { DiscoveryLogger } from './DiscoveryLogger.js';
import { endpointKey } from './normalizeEndpoints.js';
import { parseDnsPollTarget, parseFileTarget, parseStaticTarget } from './parseTargets.js';

/** URI schemes served by `registerDiscoveryResolvers`. `dns:` stays grpc-js's own. */
export const DISCOVERY_SCHEMES = ['static', 'file', 'dns-poll', 'kubernetes'] as const;

/** Channel options for round robin over every resolved endpoint (`grpc.lb_policy_name` is ignored by grpc-js). */
export const ROUND_ROBIN_CHANNEL_OPTIONS = {
  'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
} as const;

/** `/etc/pm/patient-rpc.json` → `patient-rpc`; `localhost` when the name is no host name. */
function fileAuthority(path: string): string {
  const name = (path.split('/').at(-1) ?? '').replace(/\.[^.]*$/, '').toLowerCase();
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) ? name : 'localhost';
}

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
 * (`kubernetes:` is registered by registerKubernetesResolver, loaded only when needed).
 * Call it before creating a client with such a target: an unknown scheme silently falls
 * back to grpc-js's `dns:` resolver. Malformed targets throw InvalidTargetError when the
 * client is created.
 */
export function registerDiscoveryResolvers(deps: DiscoveryDeps = {}): void {
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
      // A path is no valid :authority (HTTP/2 rejects the slashes): the file's base name is.
      defaultAuthority: (uri) => fileAuthority(parseFileTarget(uri).path),
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
}
