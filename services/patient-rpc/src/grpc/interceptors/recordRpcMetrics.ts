import {
  ServerInterceptingCall,
  status,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
} from '@grpc/grpc-js';
import type { GrpcMetrics } from '@patient-mesh/runtime';
import { methodName } from './methodName.js';

/**
 * grpc-js ends a call at its deadline on a timer of the event loop's clock, which may run
 * some milliseconds behind Date.now(): a call cancelled this close to its deadline ended by it.
 */
const DEADLINE_SLACK_MS = 50;

/** How a call that got no answer from here ended, as its client saw it. */
function cancelledCode(call: ServerInterceptingCallInterface): status {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) && Date.now() >= ms - DEADLINE_SLACK_MS ? status.DEADLINE_EXCEEDED : status.CANCELLED;
}

/**
 * The RED metrics of the calls this service handles (grpc_server_handled_total,
 * grpc_server_handling_seconds, grpc_server_in_flight by method and code): from the
 * moment the call's metadata passes here to the status it is answered with, or to its
 * cancellation when it gets none (then CANCELLED, or DEADLINE_EXCEEDED past its deadline).
 */
export function recordRpcMetrics(metrics: GrpcMetrics): ServerInterceptor {
  return (descriptor, call) => {
    const method = methodName(descriptor.path);
    let end: ReturnType<GrpcMetrics['duration']['startTimer']> | undefined;
    const finish = (code: status) => {
      if (!end) return;
      const labels = { grpc_method: method, grpc_code: status[code] };
      end(labels);
      end = undefined;
      metrics.handled.inc(labels);
      metrics.inFlight.dec({ grpc_method: method });
    };
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            end = metrics.duration.startTimer({ grpc_method: method });
            metrics.inFlight.inc({ grpc_method: method });
            pass(metadata);
          },
          // grpc-js reports the end of every call here; after an answer there is nothing left to record.
          onCancel: () => finish(cancelledCode(call)),
        }),
      sendStatus: (sent, pass) => {
        finish(sent.code);
        pass(sent);
      },
    });
  };
}
