// A real pino logger whose records a unit test can wait for (no sleeps: each wait resolves
// on the record itself). Services' tests import it as `@patient-mesh/runtime/testing`.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../logger.js';

export interface LogRecord {
  msg: string;
  level: string;
  [key: string]: unknown;
}

export interface RecordingLogger {
  logger: Logger;
  records: LogRecord[];
  /** The next record from now on with this message. */
  next(msg: string): Promise<LogRecord>;
  /** The first record with this message, logged already or from now on. */
  find(msg: string): Promise<LogRecord>;
}

export function recordingLogger(): RecordingLogger {
  const records: LogRecord[] = [];
  const waiters = new Set<{ msg: string; resolve: (r: LogRecord) => void }>();
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const record = JSON.parse(line) as LogRecord;
        records.push(record);
        for (const waiter of waiters)
          if (waiter.msg === record.msg) {
            waiters.delete(waiter);
            waiter.resolve(record);
          }
      }
      done();
    },
  });
  return {
    logger: createLogger({ level: 'debug' }, { name: 'test', destination }),
    records,
    next: (msg) => new Promise((resolve) => waiters.add({ msg, resolve })),
    find: (msg) => {
      const found = records.find((r) => r.msg === msg);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.add({ msg, resolve }));
    },
  };
}
