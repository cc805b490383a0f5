import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importJob, serviceError } from '../testing/fakePatientClient.js';
import { startTestApp, type TestApp } from '../testing/testApp.js';

const JOB_ID = '7d1c3f5e-8a2b-4c6d-9e0f-1a2b3c4d5e6f';
const LINES = Array.from({ length: 500 }, (_, i) => JSON.stringify({ line: i, pad: 'x'.repeat(200) })).join('\n');

let app: TestApp;
let importer: string;
let clinician: string;

beforeAll(async () => {
  // Every write finds patient-rpc's buffer full: the upload goes through only if the request
  // is resumed on each 'drain'.
  app = await startTestApp({ rpc: { fullUploadBuffer: true } });
  [importer, clinician] = await Promise.all([
    app.keys.token({ sub: 'importer-1', roles: ['importer'] }),
    app.keys.token(),
  ]);
});
afterAll(() => app.close());
beforeEach(() => {
  app.rpc.uploads.length = 0;
  app.rpc.calls.length = 0;
  app.rpc.answerUploads((upload) =>
    importJob({ linesTotal: Buffer.concat(upload.chunks).toString().split('\n').length }),
  );
});

const upload = (body: string, token = importer, headers: Record<string, string> = {}) =>
  fetch(`${app.url}/api/v1/epro/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson', ...headers },
    body,
  });

describe('POST /api/v1/epro/imports', () => {
  it('streams the body into ImportResponses as it is, and answers 202 with the job and its Location', async () => {
    const res = await upload(LINES, importer, { 'x-request-id': 'upload-1' });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/api/v1/epro/imports/${JOB_ID}`);
    expect(await res.json()).toEqual({
      id: JOB_ID,
      state: 'staged',
      linesTotal: 500,
      linesProcessed: 0,
      progress: 0,
      accepted: 0,
      rejected: 0,
      duplicate: 0,
      linesPerSecond: 0,
      firstErrors: [],
      createdAt: '2025-01-02T03:04:05.000Z',
      updatedAt: '2025-01-02T03:04:05.000Z',
    });
    const [call] = app.rpc.uploads;
    expect(Buffer.concat(call!.chunks).toString()).toBe(LINES);
    expect(call).toMatchObject({ ended: true, cancelled: false });
    expect(call!.metadata.get('authorization')).toEqual([`Bearer ${importer}`]);
    expect(call!.metadata.get('x-request-id')).toEqual(['upload-1']);
  });

  it('refuses anything but uncompressed NDJSON 415, before calling patient-rpc', async () => {
    const json = await upload('{}', importer, { 'content-type': 'application/json' });
    expect(json.status).toBe(415);
    expect(await json.json()).toMatchObject({ reason: 'unsupported_media_type', detail: 'send application/x-ndjson' });
    const gzip = await upload('x', importer, { 'content-encoding': 'gzip' });
    expect(gzip.status).toBe(415);
    expect(await gzip.json()).toMatchObject({ reason: 'unsupported_encoding' });
    expect(app.rpc.uploads).toEqual([]);
  });

  it('sends a caller without the importer role to patient-rpc as an empty upload, to be audited, and answers 403', async () => {
    app.rpc.answerUploads(() => serviceError(status.PERMISSION_DENIED, 'role importer required'));
    const res = await upload(LINES, clinician);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ title: 'Forbidden', reason: 'forbidden' });
    const [call] = app.rpc.uploads;
    expect(call).toMatchObject({ chunks: [], ended: true, deadline: expect.any(Number) });
    expect(call!.metadata.get('authorization')).toEqual([`Bearer ${clinician}`]);
  });

  it("answers patient-rpc's refusal of an upload with its problem", async () => {
    app.rpc.answerUploads(() => serviceError(status.RESOURCE_EXHAUSTED, 'import queue is full'));
    const res = await upload(LINES);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ reason: 'rpc_resource_exhausted', detail: 'import queue is full' });
  });
});

describe('GET /api/v1/epro/imports/:id', () => {
  it('answers the job with its progress, and its finish time once it has one', async () => {
    app.rpc.answer('GetImport', () =>
      importJob({
        state: 'done',
        linesTotal: 4,
        linesProcessed: 4,
        accepted: 2,
        rejected: 1,
        duplicate: 1,
        firstErrors: [{ line: 3, reason: 'unknown patient' }],
        finishedAt: '2025-01-02T03:04:09.000Z',
      }),
    );
    const res = await fetch(`${app.url}/api/v1/epro/imports/${JOB_ID}`, {
      headers: { authorization: `Bearer ${importer}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      state: 'done',
      progress: 1,
      firstErrors: [{ line: 3, reason: 'unknown patient' }],
      finishedAt: '2025-01-02T03:04:09.000Z',
    });
    expect(app.rpc.calls.map((c) => [c.method, c.request])).toEqual([['GetImport', { id: JOB_ID }]]);
  });

  it('answers a malformed id 400 params.id for the importer, 403 for anyone else', async () => {
    app.rpc.answer('GetImport', () => {
      throw serviceError(status.PERMISSION_DENIED, 'denied');
    });
    const read = (token: string) =>
      fetch(`${app.url}/api/v1/epro/imports/job-1`, { headers: { authorization: `Bearer ${token}` } });
    const bad = await read(importer);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ path: 'params.id', message: expect.any(String) }] });
    expect((await read(clinician)).status).toBe(403);
    expect(app.rpc.calls.map((c) => c.request)).toEqual([{ id: 'job-1' }]);
  });
});
