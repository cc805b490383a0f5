// A PatientClient for route tests: unary calls answer as each test says and are recorded
// with their options; ImportResponses records the upload and answers when it ends.
import { EventEmitter } from 'node:events';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { ImportJob, PatientServiceClient } from '@patient-mesh/contract';
import type { CallOptions } from '../rpc/CallOptions.js';
import type { PatientClient } from '../rpc/PatientClient.js';
import type { RequestOf, ResponseOf, UnaryMethod } from '../rpc/UnaryMethod.js';

export type Answer<M extends UnaryMethod> = (
  request: RequestOf<M>,
  options: CallOptions,
) => ResponseOf<M> | Promise<ResponseOf<M>>;

export interface RecordedCall {
  method: UnaryMethod;
  request: unknown;
  options: CallOptions;
}

export interface RecordedUpload {
  metadata: Metadata;
  /** The deadline the call was made with, if any (a refused upload has one). */
  deadline: number | undefined;
  chunks: Buffer[];
  ended: boolean;
  cancelled: boolean;
}

export interface FakePatientClientOptions {
  /** Every upload write reports a full buffer, and 'drain' follows on the next turn (backpressure). */
  fullUploadBuffer?: boolean;
}

export interface FakePatientClient extends PatientClient {
  readonly calls: RecordedCall[];
  readonly uploads: RecordedUpload[];
  /** How `method` answers from now on; a method without an answer rejects with a plain Error. */
  answer<M extends UnaryMethod>(method: M, answer: Answer<M>): void;
  /** How an upload answers once it ends: a job, or a gRPC error. */
  answerUploads(answer: (upload: RecordedUpload) => ImportJob | ServiceError): void;
}

/** A failed gRPC call as grpc-js reports it: code, details and trailers. */
export function serviceError(code: status, details: string, trailers: Record<string, string> = {}): ServiceError {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
}

export function importJob(overrides: Partial<ImportJob> = {}): ImportJob {
  return {
    id: '7d1c3f5e-8a2b-4c6d-9e0f-1a2b3c4d5e6f',
    state: 'staged',
    linesTotal: 0,
    linesProcessed: 0,
    accepted: 0,
    rejected: 0,
    duplicate: 0,
    linesPerSecond: 0,
    firstErrors: [],
    createdAt: '2025-01-02T03:04:05.000Z',
    updatedAt: '2025-01-02T03:04:05.000Z',
    finishedAt: '',
    ...overrides,
  };
}

type UploadCallback = (error: ServiceError | null, job?: ImportJob) => void;

export function fakePatientClient(options: FakePatientClientOptions = {}): FakePatientClient {
  const calls: RecordedCall[] = [];
  const uploads: RecordedUpload[] = [];
  const answers = new Map<UnaryMethod, Answer<never>>();
  let uploadAnswer = (upload: RecordedUpload): ImportJob | ServiceError =>
    importJob({ linesTotal: Buffer.concat(upload.chunks).toString().split('\n').filter(Boolean).length });

  function ImportResponses(metadata: Metadata, ...rest: unknown[]) {
    const callback = rest.pop() as UploadCallback;
    const callOptions = rest[0] as { deadline?: number } | undefined;
    const upload: RecordedUpload = {
      metadata,
      deadline: callOptions?.deadline,
      chunks: [],
      ended: false,
      cancelled: false,
    };
    uploads.push(upload);
    let settled = false;
    const settle = (outcome: ImportJob | ServiceError) => {
      if (settled) return;
      settled = true;
      if (outcome instanceof Error) callback(outcome);
      else callback(null, outcome);
    };
    const call = Object.assign(new EventEmitter(), {
      write({ data }: { data: Buffer }) {
        upload.chunks.push(Buffer.from(data));
        if (!options.fullUploadBuffer) return true;
        setImmediate(() => call.emit('drain'));
        return false;
      },
      end() {
        upload.ended = true;
        setImmediate(() => settle(uploadAnswer(upload)));
      },
      cancel() {
        upload.cancelled = true;
        settle(serviceError(status.CANCELLED, 'Cancelled on client'));
      },
    });
    return call;
  }

  return {
    calls,
    uploads,
    raw: { ImportResponses } as unknown as PatientServiceClient,
    answer(method, answer) {
      answers.set(method, answer as Answer<never>);
    },
    answerUploads(answer) {
      uploadAnswer = answer;
    },
    async call(method, request, callOptions) {
      calls.push({ method, request, options: callOptions });
      const answer = answers.get(method) as Answer<typeof method> | undefined;
      if (!answer) throw new Error(`the fake has no answer for ${method}`);
      return answer(request, callOptions);
    },
    close() {},
  };
}
