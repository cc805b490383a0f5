// What every fault row does around its fault: a cluster of its own with the mesh on it, a
// bounded load, and afterwards the invariant in SQL and the figures.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { request } from '../../support/http.ts';
import { figuresOf, recordFigures, type Phase, type RowFigures } from './figures.ts';
import { checkInvariant } from './invariant.ts';
import { startLoad, waitForHealthy, type Load, type LoadOptions, type Outcome } from './load.ts';
import type { Mesh } from './mesh.ts';

export const ok = (o: Outcome) => o.status >= 200 && o.status < 300;

/** The seeded patients, once patient-api answers. */
export async function knownPatients(mesh: Mesh): Promise<string[]> {
  const res = await request(`${mesh.base}/api/v1/patients?limit=10`, { token: mesh.clinician });
  expect(res.status, res.text).toBe(200);
  const ids = (res.body.items as Array<{ id: string }>).map((p) => p.id);
  expect(ids.length).toBeGreaterThan(0);
  await waitForHealthy(mesh.base, mesh.clinician, ids[0]!);
  // One of each write before the load: the first of each kind is slow on a fresh process
  // (statements prepared, code compiled), slow enough to pass a short attempt timeout.
  for (const [path, body] of [
    [
      '/api/v1/patients',
      {
        trialId: 'TRIAL-WARMUP',
        siteId: 'SITE-W',
        subjectCode: `W-${Date.now()}`,
        givenName: 'Warm',
        familyName: 'Up',
        birthDate: '1970-01-01',
        sex: 'male',
      },
    ],
    [
      `/api/v1/patients/${ids[0]}/questionnaires`,
      { submissionId: randomUUID(), instrument: 'gad7', answers: [0, 0, 0, 0, 0, 0, 0] },
    ],
  ] as const) {
    const res = await request(`${mesh.base}${path}`, { token: mesh.clinician, body });
    expect(res.status, res.text).toBe(201);
  }
  return ids;
}

/** The matrix's default load: small enough for a 2-core machine, long enough for any phase. */
export function loadOn(mesh: Mesh, patients: string[], options: Partial<LoadOptions> = {}): Load {
  return startLoad({
    base: () => mesh.base,
    token: mesh.clinician,
    concurrency: 20,
    ratePerSecond: 80,
    maxRequests: 6000,
    deadlineMs: 90_000,
    patients,
    ...options,
  });
}

/** Resolves once `n` requests sent after `since` were answered 2xx. */
export async function successesAfter(load: Load, since: number, n: number, what: string): Promise<void> {
  let seen = 0;
  await load.waitForOutcome(`${n} 2xx answers ${what}`, (o) => ok(o) && o.start >= since && ++seen >= n, since);
}

/** Stops the load, checks the invariant, records and returns the figures. */
export async function finishRow(
  row: string,
  fault: string,
  load: Load,
  databaseUrl: string,
  phase: Phase,
  notes: Record<string, unknown> = {},
): Promise<RowFigures> {
  await load.stop();
  const invariant = await checkInvariant(databaseUrl, load.outcomes);
  const figures = figuresOf(row, fault, load.sent, load.outcomes, phase, invariant, notes);
  recordFigures(figures);
  expect(invariant.violations.slice(0, 10), 'answered 2xx but not stored with exactly one audit record').toEqual([]);
  expect(invariant.lost).toBe(0);
  expect(invariant.checked).toBeGreaterThan(0);
  return figures;
}
