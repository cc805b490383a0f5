import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import { Counter, type Registry } from 'prom-client';
import { methodName } from './methodName.js';

/**
 * Counts every call that arrived (grpc_server_started_total) and every call that ended
 * without an answer from this process, cancelled by its client or its deadline
 * (grpc_server_cancelled_total). Outermost, so it sees calls that a fault or a refusal
 * ends before any handler: the proof that a call reached the server at all.
 *
 * grpc-js reports the end of every call as a cancellation (`onCancel`), answered or not:
 * a call counts as cancelled only when no status passed through here before it ended.
 */
export function countArrivals(registry: Registry): ServerInterceptor {
  const arrived = new Counter({
    name: 'grpc_server_started_total',
    help: 'gRPC calls that arrived, by method.',
    labelNames: ['grpc_method'],
    registers: [registry],
  });
  const cancelled = new Counter({
    name: 'grpc_server_cancelled_total',
    help: 'gRPC calls cancelled by the client or its deadline while being handled, by method.',
    labelNames: ['grpc_method'],
    registers: [registry],
  });
  return (descriptor, call) => {
    const labels = { grpc_method: methodName(descriptor.path) };
    let answered = false;
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            arrived.inc(labels);
            pass(metadata);
          },
          onCancel: () => {
            if (!answered) cancelled.inc(labels);
          },
        }),
      sendStatus: (status, pass) => {
        answered = true;
        pass(status);
      },
    });
  };
}
