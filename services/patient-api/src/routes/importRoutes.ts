import type { ServiceError } from '@grpc/grpc-js';
import type { ImportJob } from '@patient-mesh/contract';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { HttpProblem } from '../http/HttpProblem.js';
import { validate } from '../http/validate.js';
import type { CallOptions } from '../rpc/CallOptions.js';
import { callMetadata } from '../rpc/callMetadata.js';
import type { PatientClient } from '../rpc/PatientClient.js';
import { callOptions } from './callOptions.js';
import { guard } from './guard.js';
import { idParamsSchema } from './schemas.js';

export const NDJSON = 'application/x-ndjson';

/** The job as this API answers it (for /openapi.json; built by `toJobJson`). */
export const importJobSchema = z
  .object({
    id: z.uuid(),
    state: z.enum(['receiving', 'staged', 'running', 'done', 'failed', 'aborted']),
    linesTotal: z.number().int().describe('Non-blank lines in the upload'),
    linesProcessed: z.number().int(),
    progress: z.number().min(0).max(1),
    accepted: z.number().int(),
    rejected: z.number().int(),
    duplicate: z.number().int().describe('Submission ids already stored, or repeated in the file'),
    linesPerSecond: z.number(),
    firstErrors: z
      .array(z.object({ line: z.number().int(), reason: z.string() }))
      .describe('The first 100 line errors by line number; all are counted in `rejected`'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'ImportJob' });

/**
 * Bulk ePRO import. The upload is streamed, never parsed or buffered here: request chunks go
 * straight into the client-streaming ImportResponses call, and the request is paused while
 * the call's buffer is full (backpressure from patient-rpc's staging writes to the socket).
 * Mounted before the JSON body parser, so the JSON body limit does not apply.
 */
export function importRoutes(rpc: PatientClient): Router {
  const router = Router();

  // Refused: an upload with no lines, so patient-rpc records the denial.
  const create = guard('import.create', {}, (_req, o) => refusedUpload(rpc, o));
  router.post('/epro/imports', create, async (req, res) => {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity')
      throw new HttpProblem({
        status: 415,
        title: 'Unsupported content encoding',
        detail: 'upload the NDJSON uncompressed',
        reason: 'unsupported_encoding',
      });
    if (!req.is(NDJSON))
      throw new HttpProblem({
        status: 415,
        title: 'Unsupported media type',
        detail: `send ${NDJSON}`,
        reason: 'unsupported_media_type',
      });
    const job = await streamUpload(rpc, req, res);
    res.status(202).location(`/api/v1/epro/imports/${job.id}`).json(toJobJson(job));
  });

  const read = guard('import.read', { id: 'params.id' }, (req, o) =>
    rpc.call('GetImport', { id: String(req.params['id']) }, o),
  );
  router.get('/epro/imports/:id', read, async (req, res) => {
    const { id } = validate(idParamsSchema, req.params, 'params');
    res.json(toJobJson(await rpc.call('GetImport', { id }, callOptions(res))));
  });

  return router;
}

function refusedUpload(rpc: PatientClient, options: CallOptions): Promise<ImportJob> {
  return new Promise((resolve, reject) => {
    const call = rpc.raw.ImportResponses(
      callMetadata(options.token, options.requestId),
      { deadline: options.deadline },
      (error: ServiceError | null, job?: ImportJob) => (error || !job ? reject(error) : resolve(job)),
    );
    call.end();
  });
}

function streamUpload(rpc: PatientClient, req: Request, res: Response): Promise<ImportJob> {
  const metadata = callMetadata(res.locals['token'] as string, res.locals['requestId'] as string);

  return new Promise<ImportJob>((resolve, reject) => {
    let settled = false;
    const call = rpc.raw.ImportResponses(metadata, (error: ServiceError | null, job?: ImportJob) => {
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      res.off('close', onClose);
      if (error || !job) {
        // Answered before the whole upload arrived (e.g. denied): discard the rest.
        if (!req.complete) {
          res.setHeader('Connection', 'close');
          req.resume();
        }
        reject(error ?? new Error('ImportResponses answered without a job'));
        return;
      }
      resolve(job);
    });
    const onData = (chunk: Buffer) => {
      if (settled) return;
      if (!call.write({ data: chunk })) req.pause();
    };
    // An aborted request may still end its stream: only a complete one ends the call.
    const onEnd = () => {
      if (settled) return;
      if (req.complete) call.end();
      else call.cancel();
    };
    // The client went away before the upload was complete: cancel, so nothing is applied.
    const onClose = () => {
      if (!settled && !req.complete) call.cancel();
    };
    call.on('drain', () => req.resume());
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onClose);
    res.on('close', onClose);
  });
}

function toJobJson(job: ImportJob): z.infer<typeof importJobSchema> {
  return {
    id: job.id,
    state: job.state as z.infer<typeof importJobSchema>['state'],
    linesTotal: job.linesTotal,
    linesProcessed: job.linesProcessed,
    progress: job.linesTotal > 0 ? job.linesProcessed / job.linesTotal : job.state === 'done' ? 1 : 0,
    accepted: job.accepted,
    rejected: job.rejected,
    duplicate: job.duplicate,
    linesPerSecond: job.linesPerSecond,
    firstErrors: job.firstErrors.map((e) => ({ line: e.line, reason: e.reason })),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.finishedAt && { finishedAt: job.finishedAt }),
  };
}
