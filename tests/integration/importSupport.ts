// Helpers for the bulk-import suites: generate files with scripts/gen-epro.ts, stream
// uploads over plain HTTP, and poll a job's status with bounded tries.
import { execFile } from 'node:child_process';
import { createReadStream, mkdtempSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type pg from 'pg';
import { ROOT } from '../support/services.ts';

const run = promisify(execFile);

export interface Expected {
  lines: number;
  accepted: number;
  rejected: number;
  duplicate: number;
}

export interface GenOptions {
  lines: number;
  patients: string[];
  invalidFraction?: number;
  duplicateFraction?: number;
  seed?: number;
}

/** Writes a generated NDJSON file; returns its path and the counts it must produce. */
export async function generateFile(o: GenOptions): Promise<{ file: string; expected: Expected }> {
  const file = join(mkdtempSync(join(tmpdir(), 'pm-epro-')), 'upload.ndjson');
  const { stderr } = await run(process.execPath, [
    join(ROOT, 'scripts', 'gen-epro.ts'),
    '--lines',
    String(o.lines),
    '--patients',
    o.patients.join(','),
    '--invalid-fraction',
    String(o.invalidFraction ?? 0),
    '--duplicate-fraction',
    String(o.duplicateFraction ?? 0),
    '--seed',
    String(o.seed ?? 1),
    '--out',
    file,
  ]);
  return { file, expected: JSON.parse(stderr.trim().split('\n').at(-1)!) as Expected };
}

export interface UploadResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

/** POSTs `body` (a file path, bytes or a stream) as one streamed request. */
export function upload(
  base: string,
  token: string | undefined,
  body: { file: string } | Buffer | Readable,
  contentType = 'application/x-ndjson',
): Promise<UploadResponse> {
  const source = Buffer.isBuffer(body)
    ? Readable.from([body])
    : body instanceof Readable
      ? body
      : createReadStream(body.file, { highWaterMark: 64 * 1024 });
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/api/v1/epro/imports`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(token && { authorization: `Bearer ${token}` }) },
    });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    pipeline(source, req).catch(() => {}); // an early answer may cut the upload short
  });
}

/** Polls the status endpoint until `done(job)` holds; bounded tries, small fixed interval. */
export async function pollJob(
  base: string,
  token: string,
  id: string,
  done: (job: any) => boolean,
  tries = 600,
): Promise<any> {
  let job: any;
  for (let i = 0; i < tries; i++) {
    const res = await fetch(`${base}/api/v1/epro/imports/${id}`, { headers: { authorization: `Bearer ${token}` } });
    job = await res.json();
    if (done(job)) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`import ${id} never reached the expected state; last: ${JSON.stringify(job)}`);
}

/** Polls the database row of a job (for when no rpc is up to ask). */
export async function pollJobRow(db: pg.Client, id: string, done: (row: any) => boolean, tries = 600): Promise<any> {
  let row: any;
  for (let i = 0; i < tries; i++) {
    ({
      rows: [row],
    } = await db.query(
      'SELECT state, lines_total::int, lines_processed::int, accepted::int, rejected::int, duplicate::int FROM import_jobs WHERE id = $1',
      [id],
    ));
    if (row && done(row)) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`import ${id} row never reached the expected state; last: ${JSON.stringify(row)}`);
}

export async function importedRows(db: pg.Client, id: string): Promise<number> {
  const { rows } = await db.query('SELECT count(*)::int AS n FROM questionnaire_responses WHERE import_id = $1', [id]);
  return rows[0].n as number;
}

export async function patientIds(db: pg.Client): Promise<string[]> {
  const { rows } = await db.query('SELECT id::text FROM patients ORDER BY id');
  return rows.map((r) => r.id as string);
}
