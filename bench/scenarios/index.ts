// Every scenario of `npm run bench`, in the order they run.
import type { Scenario } from '../context.ts';
import { auditScenario } from './audit.ts';
import { breakerScenario } from './breaker.ts';
import { capacityScenario } from './capacity.ts';
import { connectionsScenario } from './connections.ts';
import { halfLoadScenario } from './halfLoad.ts';
import { importScenario } from './import.ts';
import { overloadScenario } from './overload.ts';
import { readScenario } from './read.ts';
import { readColdScenario } from './readCold.ts';
import { rolloutScenario } from './rollout.ts';
import { startupScenario } from './startup.ts';
import { submitScenario } from './submit.ts';

export const SCENARIOS: Scenario[] = [
  // First: the other systems' idle work would land in its PostgreSQL CPU.
  auditScenario,
  readScenario,
  readColdScenario,
  capacityScenario,
  halfLoadScenario,
  submitScenario,
  breakerScenario,
  overloadScenario,
  rolloutScenario,
  importScenario,
  connectionsScenario,
  startupScenario,
];

/** The scenarios to run for --only (with what they need, in run order); all without it. */
export function selectScenarios(only: string[] | undefined): Scenario[] {
  if (!only) return SCENARIOS;
  const known = new Map(SCENARIOS.map((s) => [s.name, s]));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length)
    throw new Error(
      `--only: unknown scenario ${unknown.join(', ')} (one of ${SCENARIOS.map((s) => s.name).join(', ')})`,
    );
  const wanted = new Set<string>();
  const add = (name: string) => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const need of known.get(name)!.needs ?? []) add(need);
  };
  only.forEach(add);
  return SCENARIOS.filter((s) => wanted.has(s.name));
}
