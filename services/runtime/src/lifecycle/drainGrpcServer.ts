import type { Server } from '@grpc/grpc-js';

export interface GrpcDrainOptions {
  /** Marks the health service NOT_SERVING, so probes and health-checking clients move away. */
  setNotServing: () => void;
  /** Aborts when the shutdown budget is spent: in-flight calls are then cancelled. */
  signal: AbortSignal;
}

/**
 * Drains a grpc-js server: health NOT_SERVING, then `tryShutdown` (GOAWAY: clients stop
 * sending new calls here while in-flight calls finish). `tryShutdown` has no time limit of
 * its own, so the shutdown budget's signal triggers `forceShutdown`. Resolves to the
 * number of calls cut off (0 on a clean drain).
 */
export function drainGrpcServer(
  server: Server,
  { setNotServing, signal }: GrpcDrainOptions,
): Promise<{ forced: boolean }> {
  setNotServing();
  return new Promise((resolve) => {
    const onAbort = () => {
      server.forceShutdown();
      resolve({ forced: true });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    server.tryShutdown(() => {
      signal.removeEventListener('abort', onAbort);
      resolve({ forced: false });
    });
  });
}
