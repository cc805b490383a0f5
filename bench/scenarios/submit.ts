// (c) Questionnaire submit: POST /api/v1/patients/:id/questionnaires (scored, stored,
// audited), closed loop at the fixed concurrency, one run.
import { randomUUID } from 'node:crypto';
import type { BenchContext, Scenario } from '../context.ts';
import { runLoad } from '../lib/load.ts';
import { fmt } from '../report.ts';

export interface SubmitResult {
  connections: number;
  durationS: number;
  latency: 'service';
  rps: number;
  goodput: number;
  p50: number;
  p99: number;
  failed: number;
}

export const submitScenario: Scenario<SubmitResult> = {
  name: 'submit',
  label: '(c) submit',
  async run(ctx: BenchContext): Promise<SubmitResult> {
    const { connections, durationS } = ctx.args;
    const [data, system] = await Promise.all([ctx.pgData(), ctx.system('pg')]);
    const r = await runLoad({
      url: system.url,
      connections,
      durationS,
      method: 'POST',
      headers: ctx.auth,
      paths: data.warmIds.map((id) => `/api/v1/patients/${id}/questionnaires`),
      body: () =>
        JSON.stringify({ submissionId: randomUUID(), instrument: 'phq9', answers: [1, 2, 0, 1, 3, 0, 1, 2, 0] }),
    });
    return {
      connections,
      durationS,
      latency: 'service',
      rps: r.rps,
      goodput: r.goodput,
      p50: r.p50,
      p99: r.p99,
      failed: r.non2xx + r.errors + r.timeouts,
    };
  },
  rows: (r) => [
    [
      `system (PostgreSQL) @ ${r.connections} conn.`,
      `${fmt(r.goodput, 0)} ok/s`,
      'send (closed loop)',
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      '',
      String(r.failed),
    ],
  ],
};
