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
  'subjectCode',
  'answers',
  '*.givenName',
  '*.familyName',
  '*.birthDate',
  '*.subjectCode',
  '*.answers',
  'patient',
  '*.patient',
];

/**
 * Errors are logged by name, message, code and stack only. A driver's error carries the
 * statement's parameters (PGlite: `query`, `params`) or the offending row (PostgreSQL:
 * `detail`, "Key (subject_code)=(...) already exists"), which pino's default serializer would
 * copy into the record; a data exception's message quotes the bad value. A cause is
 * serialized the same way.
 */
export function serializeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return typeof error === 'object' ? '[non-error object]' : String(error);
  const { code, severity, constraint, table, column, routine } = error as Error & Record<string, unknown>;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  // SQLSTATE class 22 (data exception): the message quotes the value.
  const message = sqlState?.startsWith('22') ? `data exception ${sqlState}` : error.message;
  // The stack begins with the message: keep only its frames.
  const frames = error.stack?.indexOf('\n    at ') ?? -1;
  return {
    type: error.name,
    message,
    ...(code !== undefined && { code }),
    ...(sqlState && { severity, constraint, table, column, routine }),
    ...(frames >= 0 && { stack: `${error.name}: ${message}${error.stack!.slice(frames)}` }),
    ...(error.cause !== undefined && depth < 3 && { cause: serializeError(error.cause, depth + 1) }),
  };
}

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
      serializers: { err: serializeError, error: serializeError },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
