// Fault matrix, row 5: PostgreSQL's data directory on a small tmpfs that the test fills with
// a file of its own (PostgreSQL answers 53100 disk_full: "could not extend file"). Writes
// answer 503 storage_full (problem+json saying the store is out of space), and so do reads,
// even of patients patient-rpc has cached: every read writes an audit record, and a read
// whose audit record cannot be stored is not answered 2xx — the audit rule comes first.
// Deleting the file frees the space: writes and imports recover, with no restart.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../support/http.ts';
import { Mesh } from './harness/mesh.ts';
import { isRoot, PgCluster, postgresDir } from './harness/pgCluster.ts';
import { finishRow, knownPatients, loadOn, ok, successesAfter } from './harness/row.ts';
import { waitFor } from './harness/waitFor.ts';

/** Writes zeros into `file` until the file system has no space left; returns the bytes written. */
function fillUp(file: string): number {
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

const ndjson = (patients: string[], n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      submissionId: randomUUID(),
      patientId: patients[i % patients.length],
      instrument: 'phq9',
      answers: [0, 1, 2, 3, 0, 1, 2, 3, 0],
      completedAt: '2025-01-02T03:04:05Z',
    }),
  ).join('\n');

describe.skipIf(!isRoot)('fault matrix: PostgreSQL out of disk space (tmpfs mounts need root; CI runs as root)', () => {
  let mount: string | undefined;
  let mounted = false;
  let cluster: PgCluster | undefined;
  let mesh: Mesh | undefined;
  let filler: string;

  beforeAll(async () => {
    mount = postgresDir('pm-fault-tmpfs-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160m,mode=0777', 'tmpfs', mount]);
    mounted = true;
    filler = join(mount, 'filler');
    cluster = await PgCluster.create({ parent: mount });
    const databaseUrl = await cluster.createDatabase('mesh');
    mesh = await new Mesh({ databaseUrl, apiEnv: { PM_RESILIENCE__BREAKER__MINIMUM_REQUESTS: '100000' } }).start();
  });
  afterAll(async () => {
    await mesh?.close().catch(() => {});
    await cluster?.destroy().catch(() => {});
    if (mounted) execFileSync('umount', ['-l', mount!]);
    if (mount) rmdirSync(mount);
  });

  it('full: writes and reads (cached or not) answer 503 storage_full; space freed: writes and imports recover, no 2xx lost', async () => {
    const m = mesh!;
    const patients = await knownPatients(m);
    // Every seeded patient read once: patient-rpc's cache holds them all.
    for (const id of patients)
      expect((await request(`${m.base}/api/v1/patients/${id}`, { token: m.clinician })).status).toBe(200);
    const importer = await m.keys.token({ sub: 'fault-importer', roles: ['importer'] });
    const upload = (lines: number) =>
      request(`${m.base}/api/v1/epro/imports`, {
        token: importer,
        rawBody: ndjson(patients, lines),
        headers: { 'content-type': 'application/x-ndjson' },
      });

    const load = loadOn(m, patients, { ratePerSecond: 40 });
    await successesAfter(load, 0, 30, 'before the disk filled');
    // The WAL gets a fresh segment first (allocated in full), so what fails is the tables'
    // growth (53100 could not extend file), not a WAL write, which PostgreSQL cannot survive.
    await cluster!.query('SELECT pg_switch_wal()', [], 'mesh');
    const faultAt = Date.now();
    const filled = fillUp(filler);
    const fullWrite = await load.waitForOutcome(
      'a write answered 503 storage_full',
      (o) => o.op !== 'read' && o.reason === 'storage_full',
      faultAt,
    );
    const cached = new Set(patients);
    const fullRead = await load.waitForOutcome(
      'a read of a cached patient answered 503 storage_full',
      (o) => o.op === 'read' && cached.has(o.patientId!) && o.reason === 'storage_full',
      faultAt,
    );
    const refusedImport = await upload(5);

    const healAt = Date.now();
    unlinkSync(filler);
    await successesAfter(load, healAt, 30, 'after the space was freed');
    const accepted = await upload(5);
    expect(accepted.status, accepted.text).toBe(202);
    const job = await waitFor(
      'the import after healing to be done',
      async () => {
        const res = await request(`${m.base}${accepted.headers.get('location')}`, { token: importer });
        return res.body?.state === 'done' ? res.body : undefined;
      },
      60_000,
      100,
    );
    const figures = await finishRow(
      'disk-full',
      'PostgreSQL data directory on a 160 MiB tmpfs filled by a file, then the file deleted',
      load,
      m.options.databaseUrl,
      { faultAt, healAt },
      {
        fillerBytes: filled,
        firstWriteRefusedMs: fullWrite.end - faultAt,
        firstReadRefusedMs: fullRead.end - faultAt,
        importWhileFull: `${refusedImport.status} ${refusedImport.body?.reason}`,
        importAfterHealing: `${job.state}, ${job.accepted} accepted`,
      },
    );

    // Said in so many words, with Retry-After; never a 500.
    expect(fullWrite).toMatchObject({ status: 503, title: 'Store out of space' });
    expect(fullWrite.detail).toMatch(/out of disk space/);
    expect(Number(fullWrite.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(fullRead.status).toBe(503);
    expect(refusedImport.status).toBe(503);
    expect(refusedImport.body).toMatchObject({ reason: 'storage_full', status: 503 });
    expect(job).toMatchObject({ state: 'done', accepted: 5, rejected: 0 });
    for (const o of load.outcomes.filter((o) => !ok(o))) expect(o.status, `${o.op} ${o.reason}`).toBe(503);
    expect(figures.timeToRecoverMs).not.toBeNull();
    expect(m.rpc.child.exitCode).toBeNull();
    // PostgreSQL itself stayed up through it (no PANIC, no crash recovery).
    expect(await cluster!.isInRecovery()).toBe(false);
  });
});
