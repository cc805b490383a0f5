import { experimental } from '@grpc/grpc-js';
import type { KubeConfig } from '@kubernetes/client-node';
import { createKubernetesSource, inClusterKubeConfig } from './createKubernetesSource.js';
import { createResolverClass } from './createResolverClass.js';
import { parseKubernetesTarget } from './parseTargets.js';
import type { DiscoveryDeps } from './registerDiscoveryResolvers.js';

/**
 * Registers the `kubernetes:///service.namespace:port-or-name` resolver (EndpointSlice
 * watch). Kept apart from the other schemes because @kubernetes/client-node takes over a
 * second to load: patient-api imports this module only when its target needs it.
 */
export function registerKubernetesResolver(deps: DiscoveryDeps = {}): void {
  let kubeConfig = deps.kubeConfig;
  const getKubeConfig = (): KubeConfig => (kubeConfig ??= inClusterKubeConfig());
  const defaultNamespace = (): string | undefined => {
    if (deps.defaultNamespace !== undefined) return deps.defaultNamespace;
    const config = getKubeConfig();
    return config.getContextObject(config.getCurrentContext())?.namespace;
  };
  const common = { onEndpoints: deps.onEndpoints, logger: deps.logger };
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
