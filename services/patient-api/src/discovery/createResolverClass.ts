import { experimental, status, type ChannelOptions } from '@grpc/grpc-js';
import { silentLogger, type DiscoveryLogger } from './DiscoveryLogger.js';
import type { Endpoint } from './Endpoint.js';
import type { EndpointSource } from './EndpointSource.js';
import { sameEndpoints } from './normalizeEndpoints.js';

type GrpcUri = experimental.GrpcUri;
type ResolverListener = experimental.ResolverListener;

/** Builds a fresh source for a parsed target; may throw (e.g. InvalidTargetError). */
export type EndpointSourceFactory = (target: GrpcUri) => EndpointSource;

export interface ResolverClassOptions {
  /** The channel's default `:authority` for a target; may throw to reject the target at channel creation. Default: the path without query. */
  defaultAuthority?: (target: GrpcUri) => string;
  /** Called with the endpoint count every time a new list reaches the channel (for a gauge). */
  onEndpoints?: (count: number, target: string) => void;
  logger?: DiscoveryLogger;
}

/** What `grpc.experimental.registerResolver` takes (grpc-js 1.14 API). */
export interface DiscoveryResolverClass {
  new (target: GrpcUri, listener: ResolverListener, channelOptions: ChannelOptions): experimental.Resolver;
  getDefaultAuthority(target: GrpcUri): string;
}

type Pending = { endpoints: readonly Endpoint[] } | { error: Error };

/**
 * A grpc-js resolver class whose results come from an `EndpointSource`. The source is
 * started on the first `updateResolution()` (a channel leaving idle) and stopped on
 * `destroy()` (channel idle or closed). Results reach the channel on `process.nextTick`,
 * never synchronously, and only when new: the load balancer calls `updateResolution()`
 * on every subchannel state change, and answering those synchronously recurses.
 *
 * No ready endpoints: calls must fail at once with UNAVAILABLE, not queue until their
 * deadline. grpc-js 1.14.7's round_robin gets there with neither result alone: an empty
 * list drops the subchannels but leaves the channel IDLE (calls queue), and an error
 * status while subchannels exist keeps them (calls still go to removed endpoints). So
 * the empty list is followed by an UNAVAILABLE error status ("no ready endpoints for
 * <target>"), which, with no subchannels left, puts the channel in TRANSIENT_FAILURE.
 * A source error is passed on only while no list is known; after that the last list
 * stays in use (an API server outage must not take the endpoints away).
 */
export function createResolverClass(
  createSource: EndpointSourceFactory,
  options: ResolverClassOptions = {},
): DiscoveryResolverClass {
  const logger = options.logger ?? silentLogger;
  const defaultAuthority = options.defaultAuthority ?? ((target: GrpcUri) => target.path.split('?')[0] ?? target.path);

  return class DiscoveryResolver {
    private source: EndpointSource | undefined;
    private delivered: readonly Endpoint[] | undefined;
    private pending: Pending | undefined;
    private scheduled = false;
    private readonly name: string;

    constructor(
      private readonly target: GrpcUri,
      private readonly listener: ResolverListener,
      _channelOptions: ChannelOptions,
    ) {
      this.name = experimental.uriToString(target);
    }

    static getDefaultAuthority(target: GrpcUri): string {
      return defaultAuthority(target);
    }

    updateResolution(): void {
      if (this.source !== undefined) return; // a running source reports changes by itself
      let source: EndpointSource;
      try {
        source = createSource(this.target);
      } catch (error) {
        this.push({ error: error instanceof Error ? error : new Error(String(error)) });
        return;
      }
      this.source = source;
      source.start(
        (endpoints) => {
          if (this.source !== source) return;
          if (this.delivered !== undefined && sameEndpoints(this.delivered, endpoints)) {
            this.pending = undefined;
            return;
          }
          this.push({ endpoints: [...endpoints] });
        },
        (error) => {
          if (this.source !== source) return;
          logger.warn({ target: this.name, err: error }, 'endpoint source failed');
          if (this.delivered === undefined) this.push({ error });
        },
      );
    }

    destroy(): void {
      this.source?.stop();
      this.source = undefined;
      this.delivered = undefined;
      this.pending = undefined;
    }

    private push(result: Pending): void {
      this.pending = result;
      if (this.scheduled) return;
      this.scheduled = true;
      process.nextTick(() => this.deliver());
    }

    private deliver(): void {
      this.scheduled = false;
      const result = this.pending;
      this.pending = undefined;
      if (result === undefined) return;
      if ('error' in result) {
        const details = `endpoint discovery failed for ${this.name}: ${result.error.message}`;
        this.listener(experimental.statusOrFromError({ code: status.UNAVAILABLE, details }), {}, null, '');
        return;
      }
      const { endpoints } = result;
      this.delivered = endpoints;
      const list = endpoints.map(({ host, port }) => ({ addresses: [{ host, port }] }));
      if (list.length === 0) {
        const details = `no ready endpoints for ${this.name}`;
        this.listener(experimental.statusOrFromValue(list), {}, null, details);
        this.listener(experimental.statusOrFromError({ code: status.UNAVAILABLE, details }), {}, null, details);
      } else {
        this.listener(experimental.statusOrFromValue(list), {}, null, '');
      }
      options.onEndpoints?.(list.length, this.name);
      logger.info({ target: this.name, endpoints: list.length }, 'endpoint list updated');
    }
  };
}
