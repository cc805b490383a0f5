export type { Endpoint } from './Endpoint.js';
export type { EndpointSource } from './EndpointSource.js';
export type { DiscoveryLogger } from './DiscoveryLogger.js';
export { InvalidTargetError, isInvalidTargetError } from './InvalidTargetError.js';
export { createStaticSource } from './createStaticSource.js';
export { createDnsSource, type DnsSourceOptions } from './createDnsSource.js';
export { createFileSource, parseEndpointsFile, type FileSourceOptions } from './createFileSource.js';
export { createKubernetesSource, inClusterKubeConfig, type KubernetesSourceOptions } from './createKubernetesSource.js';
export { createManualSource, type ManualSource } from './createManualSource.js';
export { endpointsFromSlices } from './endpointsFromSlices.js';
export { endpointKey, normalizeEndpoints, sameEndpoints } from './normalizeEndpoints.js';
export {
  parseDnsPollTarget,
  parseFileTarget,
  parseKubernetesTarget,
  parseStaticTarget,
  type DnsPollTarget,
  type FileTarget,
  type KubernetesTarget,
} from './parseTargets.js';
export {
  createResolverClass,
  type DiscoveryResolverClass,
  type EndpointSourceFactory,
  type ResolverClassOptions,
} from './createResolverClass.js';
export {
  DISCOVERY_SCHEMES,
  ROUND_ROBIN_CHANNEL_OPTIONS,
  registerDiscoveryResolvers,
  type DiscoveryDeps,
} from './registerDiscoveryResolvers.js';
export { registerKubernetesResolver } from './registerKubernetesResolver.js';
