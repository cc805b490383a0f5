import type { ImportJob } from '@patient-mesh/contract';
import { LineSplitter, type SplitLine } from './LineSplitter.js';
import { StagingBatch, type ImportStore } from './ImportStore.js';
import { parseImportLine, type ParsedLine } from '../domain/parseImportLine.js';

export interface ReceiveUploadOptions {
  maxLineBytes: number;
  /** Lines per staging COPY. */
  batchSize: number;
  /** Bytes per staging COPY, whatever the line count. */
  maxBatchBytes?: number;
  /** Staging COPYs in flight at once (each on its own connection). */
  maxInFlight?: number;
  /** Aborted when the client cancels: a source destroyed without an error just ends. */
  signal: AbortSignal;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Validates and stages an upload's lines as its chunks arrive: at most `maxInFlight` staging
 * COPYs in flight and one batch being filled, so the source is read only as fast as the
 * database takes it (and the next batch is parsed while the previous ones are written).
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
  let pending = new StagingBatch(jobId);
  let total = 0;
  const maxInFlight = options.maxInFlight ?? 2;
  const inFlight = new Set<Promise<void>>();

  const take = () => {
    for (const l of split) {
      const staged = toStaged(l, tooLong);
      if (!staged) continue;
      pending.add(staged);
      total += 1;
    }
    split.length = 0;
  };
  const flush = async () => {
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    if (pending.lines === 0) return;
    const batch = pending;
    pending = new StagingBatch(jobId);
    const staging: Promise<void> = store.stage(batch).finally(() => inFlight.delete(staging));
    staging.catch(() => {});
    inFlight.add(staging);
  };

  try {
    for await (const chunk of source) {
      splitter.push(chunk.data, split);
      take();
      if (pending.lines >= options.batchSize || pending.bytes >= maxBatchBytes) await flush();
    }
    options.signal.throwIfAborted();
    splitter.end(split);
    take();
    await flush();
    await Promise.all(inFlight);
    options.signal.throwIfAborted();
    return await store.markStaged(jobId, total, splitter.linesSeen);
  } finally {
    // A cancelled upload is aborted (its staged lines deleted) by the caller: staging
    // COPYs still in flight must land first, or they would commit after the delete.
    await Promise.allSettled(inFlight);
  }
}

/** A line validated for staging; undefined for a blank line (skipped, though it keeps its number). */
function toStaged(l: SplitLine, tooLong: string): ParsedLine | undefined {
  if (l.oversized) return { ok: false, line: l.line, reason: tooLong };
  let text: string;
  try {
    text = utf8.decode(l.bytes);
  } catch {
    return { ok: false, line: l.line, reason: 'not valid UTF-8' };
  }
  if (text.trim() === '') return undefined;
  return parseImportLine(l.line, text);
}
