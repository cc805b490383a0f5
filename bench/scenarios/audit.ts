// (j) Audit appends across patient-rpc replicas on one PostgreSQL: the system with 1, 2
// and 4 replicas, and the writers alone against the pre-ledger chained writer
// (bench/lib/auditScenario.ts). Runs first: the other systems' idle work would land in its
// PostgreSQL CPU.
import type { BenchContext, Scenario } from '../context.ts';
import { auditTableRows, runAuditScenario, type AuditResult } from '../lib/auditScenario.ts';

export const auditScenario: Scenario<AuditResult> = {
  name: 'audit',
  label: '(j) audit appends',
  async run(ctx: BenchContext): Promise<AuditResult> {
    const { tracing, systemRpc, systemApi } = ctx.env;
    const result = await runAuditScenario({
      serverUrl: ctx.postgres.url,
      postgres: ctx.postgresCpu,
      jwksFile: ctx.keys.jwksFile,
      headers: ctx.auth,
      rpcExtra: { ...systemRpc, ...tracing },
      apiExtra: { ...systemApi, ...tracing },
      replicas: ctx.args.quick ? [1, 2] : [1, 2, 4],
      rounds: ctx.args.rounds,
      durationS: ctx.args.durationS,
      connections: ctx.args.connections,
      log: ctx.log,
    });
    ctx.log('audit appends done');
    return result;
  },
  rows: auditTableRows,
};
