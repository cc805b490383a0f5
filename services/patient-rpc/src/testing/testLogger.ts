// A real logger (the runtime's createLogger) whose records a unit test reads or waits for:
// each wait resolves on the record itself, never on a timer.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@patient-mesh/runtime';

export interface LogRecord {
  msg: string;
  level: string;
  [key: string]: unknown;
}

export interface TestLogger {
  logger: Logger;
  records: LogRecord[];
  /** The first record with this message, logged already or from now on. */
  find(msg: string): Promise<LogRecord>;
}

export function testLogger(): TestLogger {
  const records: LogRecord[] = [];
  const waiters: Array<{ msg: string; resolve: (r: LogRecord) => void }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const record = JSON.parse(line) as LogRecord;
        records.push(record);
        for (const waiter of waiters.filter((w) => w.msg === record.msg)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(record);
        }
      }
      done();
    },
  });
  return {
    logger: createLogger({ level: 'debug' }, { name: 'test', destination }),
    records,
    find: (msg) => {
      const found = records.find((r) => r.msg === msg);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ msg, resolve }));
    },
  };
}
