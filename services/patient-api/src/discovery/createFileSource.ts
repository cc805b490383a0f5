import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { experimental } from '@grpc/grpc-js';
import type { Endpoint } from './Endpoint.js';
import type { EndpointSource } from './EndpointSource.js';
import { normalizeEndpoints, sameEndpoints } from './normalizeEndpoints.js';

export interface FileSourceOptions {
  /** Absolute path of a JSON array of `"host:port"` strings. */
  path: string;
  /** Re-read this often as well as on change events (a safety net for missed events). Default 5000 ms; 0: never. */
  intervalMs?: number;
}

/** Parses the file's text: a JSON array of `"host:port"` strings. Throws on anything else. */
export function parseEndpointsFile(text: string): Endpoint[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) throw new Error('expected a JSON array of "host:port" strings');
  return value.map((entry) => {
    const parsed = typeof entry === 'string' ? experimental.splitHostPort(entry) : null;
    const port = Number(parsed?.port);
    if (parsed === null || parsed.host === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`not a host:port entry: ${JSON.stringify(entry)}`);
    }
    return { host: parsed.host, port };
  });
}

/**
 * Endpoints from a file (`file:///etc/patient-api/endpoints.json`): a mounted ConfigMap, or
 * a file another process rewrites. The directory is watched, not the file, so atomic
 * replacements (write + rename, or a ConfigMap's `..data` symlink swap) are seen; the file
 * is re-read on every event and every `intervalMs`, and a list is reported only when it
 * differs from the last. An unreadable or malformed file is an error and the last list stays.
 */
export function createFileSource(options: FileSourceOptions): EndpointSource {
  const intervalMs = options.intervalMs ?? 5000;
  let stopped = false;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let last: Endpoint[] | undefined;
  let reading = false;
  let again = false;

  const read = async (onChange: (e: readonly Endpoint[]) => void, onError: (e: Error) => void): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        let endpoints: Endpoint[] | undefined;
        try {
          endpoints = normalizeEndpoints(parseEndpointsFile(await readFile(options.path, 'utf8')));
        } catch (error) {
          if (!stopped) onError(new Error(`${options.path}: ${(error as Error).message}`));
        }
        if (stopped) return;
        if (endpoints !== undefined && (last === undefined || !sameEndpoints(last, endpoints))) {
          last = endpoints;
          onChange(endpoints);
        }
      } while (again && !stopped);
    } finally {
      reading = false;
    }
  };

  return {
    start(onChange, onError) {
      if (stopped) return;
      const name = basename(options.path);
      try {
        watcher = watch(dirname(options.path), (_event, file) => {
          if (file === null || file === name || file.startsWith('..')) void read(onChange, onError);
        });
        watcher.on('error', (error) => onError(error));
      } catch (error) {
        onError(error as Error);
      }
      if (intervalMs > 0) {
        timer = setInterval(() => void read(onChange, onError), intervalMs);
        timer.unref();
      }
      void read(onChange, onError);
    },
    stop() {
      stopped = true;
      watcher?.close();
      clearInterval(timer);
    },
  };
}
