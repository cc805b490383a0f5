import { pino, type Logger } from 'pino';
import type { LogConfig } from './config/commonSchemas.js';

export type { Logger };

/**
 * Paths removed from every log record. Patient data (PHI) and credentials never reach
 * logs: request bodies are not logged at all, and these catch accidental fields.
 */
export const REDACT_PATHS = [
  'authorization',
  'token',
  'password',
  '*.authorization',
  '*.token',
  '*.password',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'databaseUrl',
  '*.databaseUrl',
  'givenName',
  'familyName',
  'birthDate',
  'answers',
  '*.givenName',
  '*.familyName',
  '*.birthDate',
  '*.answers',
  'patient',
  '*.patient',
];

export interface LoggerOptions {
  /** Service name, the `service` field of every record. */
  name: string;
  /**
   * Write asynchronously (buffered). Default false: the services log a few lines per
   * lifecycle event, not per request, and a synchronous write can neither lose the last
   * lines at exit nor spin on a closed stdout (an async sonic-boom retries EPIPE forever).
   */
  async?: boolean;
  /** Destination; defaults to stdout. Tests pass a stream to read records back. */
  destination?: NodeJS.WritableStream;
}

/** The one root logger of a process; components narrow it with `child()`. */
export function createLogger(config: LogConfig, options: LoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: options.async !== true });
  return pino(
    {
      level: config.level,
      base: { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
