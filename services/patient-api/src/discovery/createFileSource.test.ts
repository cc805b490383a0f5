import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { experimental } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileSource, parseEndpointsFile } from './createFileSource.js';
import { parseFileTarget } from './parseTargets.js';
import { recordSource } from './testing/recordSource.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function endpointsFile(list: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'pm-endpoints-'));
  dirs.push(dir);
  const path = join(dir, 'endpoints.json');
  writeFileSync(path, JSON.stringify(list));
  return path;
}

/** Replaces the file the way a careful writer (or a ConfigMap update) does: write aside, rename. */
function replace(path: string, list: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(list));
  renameSync(`${path}.tmp`, path);
}

describe('createFileSource', () => {
  it('reports the file on start and every change, intervals off', async () => {
    const path = endpointsFile(['127.0.0.3:50051', '127.0.0.2:50051']);
    const r = recordSource(createFileSource({ path, intervalMs: 0 }));
    expect(await r.until(['127.0.0.2:50051', '127.0.0.3:50051'])).toHaveLength(2);
    replace(path, ['127.0.0.2:50051', '127.0.0.4:50051']);
    await r.until(['127.0.0.2:50051', '127.0.0.4:50051']);
    replace(path, []);
    await r.until([]);
    r.stop();
  });

  it('keeps the last list when the file turns malformed', async () => {
    const path = endpointsFile(['127.0.0.2:1']);
    const r = recordSource(createFileSource({ path, intervalMs: 0 }));
    await r.until(['127.0.0.2:1']);
    const error = r.nextError();
    replace(path, { not: 'a list' });
    expect((await error).message).toContain('expected a JSON array');
    expect(r.latest()).toEqual(['127.0.0.2:1']);
    r.stop();
  });
});

describe('parseEndpointsFile and parseFileTarget', () => {
  it('accepts host:port strings only', () => {
    expect(parseEndpointsFile('["[::1]:5", "a.b:6"]')).toEqual([
      { host: '::1', port: 5 },
      { host: 'a.b', port: 6 },
    ]);
    expect(() => parseEndpointsFile('["a.b"]')).toThrow('not a host:port entry');
    expect(() => parseEndpointsFile('[{"host":"a","port":1}]')).toThrow('not a host:port entry');
  });

  it('parses an absolute path and an interval', () => {
    // What grpc-js's URI parser makes of `file:///run/pm/endpoints.json?intervalMs=250`.
    const uri: experimental.GrpcUri = { scheme: 'file', authority: '', path: 'run/pm/endpoints.json?intervalMs=250' };
    expect(parseFileTarget(uri)).toEqual({ path: '/run/pm/endpoints.json', intervalMs: 250 });
    expect(() => parseFileTarget({ scheme: 'file', authority: '', path: 'run/pm/' })).toThrow();
    expect(() => parseFileTarget({ scheme: 'file', authority: '', path: 'a.json?x=1' })).toThrow();
  });
});
