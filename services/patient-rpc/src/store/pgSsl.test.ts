import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgSsl } from './pgSsl.js';

const dir = mkdtempSync(join(tmpdir(), 'pm-pgssl-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const verifyFull = (caFile: string, certFile = '', keyFile = '') => ({
  mode: 'verify-full' as const,
  caFile,
  certFile,
  keyFile,
});

describe('pgSsl', () => {
  it('is false with mode disable, so PGSSLMODE cannot turn TLS on behind the config', () => {
    expect(pgSsl({ mode: 'disable', caFile: file('unused.crt', 'CA'), certFile: '', keyFile: '' })).toBe(false);
  });

  it('verifies against the CA bundle and leaves the server name to pg (no SNI for an IP)', () => {
    const ssl = pgSsl(verifyFull(file('ca.crt', 'CA 1')));
    expect(ssl).toMatchObject({ rejectUnauthorized: true, ca: 'CA 1' });
    expect(ssl).not.toHaveProperty('servername');
    expect(ssl).not.toHaveProperty('checkServerIdentity');
  });

  it('reads the files again on each use, the way pg copies it per connection', () => {
    const caFile = file('rotating.crt', 'CA 1');
    const ssl = pgSsl(verifyFull(caFile, file('client.crt', 'CERT 1'), file('client.key', 'KEY 1')));
    expect({ ...ssl }).toMatchObject({ ca: 'CA 1', cert: 'CERT 1', key: 'KEY 1' });
    writeFileSync(caFile, 'CA 2');
    expect({ ...ssl }).toMatchObject({ ca: 'CA 2' });
    // Between a rotation's delete and write: the last content, not an exception.
    rmSync(caFile);
    expect({ ...ssl }).toMatchObject({ ca: 'CA 2' });
  });

  it('throws a ConfigError naming the key and the file when a file cannot be read at startup', () => {
    const missing = join(dir, 'missing.crt');
    expect(() => pgSsl(verifyFull(missing))).toThrow(
      expect.objectContaining({ name: 'ConfigError', key: 'database.tls.caFile', source: missing }),
    );
  });
});
