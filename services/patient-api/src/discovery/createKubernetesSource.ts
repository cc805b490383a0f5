import { DiscoveryV1Api, KubeConfig, makeInformer, type V1EndpointSlice } from '@kubernetes/client-node';
import { backoffDelay } from './backoffDelay.js';
import type { Endpoint } from './Endpoint.js';
import type { EndpointSource } from './EndpointSource.js';
import { endpointsFromSlices } from './endpointsFromSlices.js';
import { sameEndpoints } from './normalizeEndpoints.js';

export interface KubernetesSourceOptions {
  service: string;
  namespace: string;
  /** A number is used as is (the pods' port); a name is looked up in each slice's ports. */
  port: number | string;
  /** API server access; default `KubeConfig.loadFromCluster()` (service account). */
  kubeConfig?: KubeConfig;
  /** Relist from scratch this often, healing any drift between cache and server. Default 300 000 ms; 0: never. */
  resyncIntervalMs?: number;
  /** Restart delay after the informer stopped on an error, doubling per failure. Default 500 ms. */
  restartInitialMs?: number;
  /** Upper bound of the restart delay. Default 30 000 ms. */
  restartMaxMs?: number;
}

type Callbacks = { onChange: (e: readonly Endpoint[]) => void; onError: (e: Error) => void };

export function inClusterKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromCluster();
  return kubeConfig;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String((error as { message?: unknown } | null)?.message ?? error));
}

/**
 * The ready endpoints of one Service, from an EndpointSlice informer (list, then watch
 * from the list's resourceVersion; client-node relists itself after 410 Gone and
 * reconnects a watch the server ended). Other errors stop a client-node informer: this
 * source then starts a fresh one (new list) after a backoff, keeping the last list
 * meanwhile. Every `resyncIntervalMs` a fresh informer relists too. Nothing is reported
 * before the first list completes, and each report is the whole merged state, computed
 * after the informer has applied a list or event to its cache.
 */
export function createKubernetesSource(options: KubernetesSourceOptions): EndpointSource {
  const kubeConfig = options.kubeConfig ?? inClusterKubeConfig();
  const api = kubeConfig.makeApiClient(DiscoveryV1Api);
  const { namespace, port } = options;
  const path = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices`;
  const labelSelector = `kubernetes.io/service-name=${options.service}`;
  const resyncIntervalMs = options.resyncIntervalMs ?? 300_000;
  let generation = 0;
  let stopped = false;
  let failures = 0;
  let last: Endpoint[] | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let resyncTimer: NodeJS.Timeout | undefined;
  let stopCurrent = (): void => {};

  function run(callbacks: Callbacks): void {
    const gen = ++generation;
    const isCurrent = (): boolean => !stopped && gen === generation;
    let listed = false;
    let failed = false;
    let scheduled = false;
    const informer = makeInformer<V1EndpointSlice>(
      kubeConfig,
      path,
      async () => {
        const list = await api.listNamespacedEndpointSlice({ namespace, labelSelector });
        // A stale informer must not go on to open a watch nobody would stop.
        if (!isCurrent()) throw new Error('informer replaced');
        listed = true;
        schedule();
        return list;
      },
      labelSelector,
    );
    // Runs after the informer has applied the whole list or event to its cache.
    const schedule = (): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        if (!isCurrent() || !listed) return;
        const endpoints = endpointsFromSlices(informer.list(), port);
        if (last !== undefined && sameEndpoints(last, endpoints)) return;
        last = endpoints;
        callbacks.onChange(endpoints);
      });
    };
    const fail = (error: unknown): void => {
      if (!isCurrent() || failed) return;
      failed = true;
      void informer.stop();
      callbacks.onError(toError(error));
      restartTimer = setTimeout(
        () => run(callbacks),
        backoffDelay(failures++, options.restartInitialMs ?? 500, options.restartMaxMs ?? 30_000),
      );
      restartTimer.unref();
    };
    informer.on('add', schedule);
    informer.on('update', schedule);
    informer.on('delete', schedule);
    informer.on('error', fail);
    stopCurrent = () => void informer.stop();
    // start() resolves once the first watch request has its answer (errors are reported
    // by then). A stop() that came while it was under way could not abort it: stop again.
    informer.start().then(() => {
      if (!isCurrent()) void informer.stop();
      else if (!failed) failures = 0;
    }, fail);
  }

  return {
    start(onChange, onError) {
      const callbacks = { onChange, onError };
      run(callbacks);
      if (resyncIntervalMs > 0) {
        resyncTimer = setInterval(() => {
          clearTimeout(restartTimer);
          const previous = stopCurrent;
          run(callbacks);
          previous();
        }, resyncIntervalMs);
        resyncTimer.unref();
      }
    },
    stop() {
      stopped = true;
      clearTimeout(restartTimer);
      clearInterval(resyncTimer);
      stopCurrent();
    },
  };
}
