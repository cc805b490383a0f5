/**
 * Per-call context: who asks, for which request, until when. Its own module, imported by
 * the client (rpc/) and by the routes that build it from a request (routes/callOptions.ts),
 * so neither side imports the other for it.
 */
export interface CallOptions {
  /** The end user's bearer token, verified here and forwarded for patient-rpc to verify again. */
  token: string;
  requestId: string;
  /** Absolute deadline (epoch ms); becomes the gRPC deadline. */
  deadline: number;
  /** Aborting cancels the call (client went away, budget spent). */
  signal?: AbortSignal;
}
