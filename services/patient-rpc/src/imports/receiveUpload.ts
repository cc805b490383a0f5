import type { ImportJob } from '@patient-mesh/runtime';
import { LineSplitter, type SplitLine } from './LineSplitter.js';
import type { ImportStore, StagedLine } from './ImportStore.js';

export interface ReceiveUploadOptions {
  maxLineBytes: number;
  /** Lines per staging INSERT. */
  batchSize: number;
  /** Bytes per staging INSERT, whatever the line count. */
  maxBatchBytes?: number;
  /** Aborted when the client cancels: a source destroyed without an error just ends. */
  signal: AbortSignal;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Stages an upload's lines as its chunks arrive: at most one staging INSERT in flight and
 * one batch being filled, so the source is read only as fast as the database takes it.
 * Resolves with the staged job once the source ends; throws if the source fails (cancelled).
 */
export async function receiveUpload(
  jobId: string,
  source: AsyncIterable<{ data: Buffer }>,
  store: ImportStore,
  options: ReceiveUploadOptions,
): Promise<ImportJob> {
  const maxBatchBytes = options.maxBatchBytes ?? 2 * 1024 * 1024;
  const tooLong = `line exceeds ${options.maxLineBytes} bytes`;
  const splitter = new LineSplitter(options.maxLineBytes);
  const split: SplitLine[] = [];
  let pending: StagedLine[] = [];
  let pendingBytes = 0;
  let total = 0;
  let inFlight: Promise<void> = Promise.resolve();

  const take = () => {
    for (const l of split) {
      const staged = toStaged(l, tooLong);
      if (!staged) continue;
      pending.push(staged);
      pendingBytes += staged.body?.length ?? 0;
      total += 1;
    }
    split.length = 0;
  };
  const flush = async () => {
    await inFlight;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    pendingBytes = 0;
    inFlight = store.stage(jobId, batch);
    inFlight.catch(() => {});
  };

  try {
    for await (const chunk of source) {
      splitter.push(chunk.data, split);
      take();
      if (pending.length >= options.batchSize || pendingBytes >= maxBatchBytes) await flush();
    }
    options.signal.throwIfAborted();
    splitter.end(split);
    take();
    await flush();
    await inFlight;
    options.signal.throwIfAborted();
    return await store.markStaged(jobId, total);
  } finally {
    // A cancelled upload is aborted (its staged lines deleted) by the caller: a staging
    // INSERT still in flight must land first, or it would commit after the delete.
    await inFlight.catch(() => {});
  }
}

/** A line as staged; undefined for a blank line (skipped, though it keeps its number). */
function toStaged(l: SplitLine, tooLong: string): StagedLine | undefined {
  if (l.oversized) return { line: l.line, body: null, error: tooLong };
  let text: string;
  try {
    text = utf8.decode(l.bytes);
  } catch {
    return { line: l.line, body: null, error: 'not valid UTF-8' };
  }
  if (text.trim() === '') return undefined;
  // PostgreSQL text cannot hold NUL; a raw NUL is never valid JSON anyway.
  if (text.includes('\u0000')) return { line: l.line, body: null, error: 'not valid JSON' };
  return { line: l.line, body: text, error: null };
}
