// The fault matrix's invariant, checked in SQL after each fault: every request answered 2xx
// has its data stored and exactly one audit record of its own (found by the request id the
// client sent, which patient-rpc stores in audit_log.request_id). Non-2xx answers may or may
// not have stored something; they are not checked.
import { withDb } from '../../support/db.ts';
import type { Op, Outcome } from './load.ts';

const ACTION: Record<Op, string> = {
  create: 'patient.create',
  read: 'patient.read',
  submit: 'questionnaire.submit',
};

export interface Violation {
  requestId: string;
  op: Op;
  status: number;
  problem: string;
}

export interface InvariantReport {
  /** 2xx answers checked. */
  checked: number;
  /** 2xx answers whose data or audit record is missing (must be 0). */
  lost: number;
  /** 2xx answers with more than one audit record of their own (must be 0). */
  duplicated: number;
  violations: Violation[];
}

export async function checkInvariant(databaseUrl: string, outcomes: readonly Outcome[]): Promise<InvariantReport> {
  const acknowledged = outcomes.filter((o) => o.status >= 200 && o.status < 300);
  return withDb(databaseUrl, async (db) => {
    const audits = new Map<string, Array<{ action: string; patient_id: string; outcome: string }>>();
    const { rows } = await db.query<{ request_id: string; action: string; patient_id: string; outcome: string }>(
      'SELECT request_id, action, patient_id, outcome FROM audit_log WHERE request_id = ANY($1)',
      [acknowledged.map((o) => o.requestId)],
    );
    for (const r of rows) audits.set(r.request_id, [...(audits.get(r.request_id) ?? []), r]);

    const created = new Map(
      (
        await db.query<{ id: string; subject_code: string }>(
          'SELECT id::text, subject_code FROM patients WHERE id::text = ANY($1)',
          [acknowledged.filter((o) => o.op === 'create').map((o) => o.patientId ?? '')],
        )
      ).rows.map((r) => [r.id, r.subject_code]),
    );
    const submitted = new Map(
      (
        await db.query<{ submission_id: string; patient_id: string }>(
          'SELECT submission_id::text, patient_id::text FROM questionnaire_responses WHERE submission_id::text = ANY($1)',
          [acknowledged.filter((o) => o.op === 'submit').map((o) => o.key)],
        )
      ).rows.map((r) => [r.submission_id, r.patient_id]),
    );

    const violations: Violation[] = [];
    let lost = 0;
    let duplicated = 0;
    for (const o of acknowledged) {
      const problems: string[] = [];
      if (o.op === 'create' && created.get(o.patientId ?? '') !== o.key) problems.push('patient row missing');
      if (o.op === 'submit' && submitted.get(o.key ?? '') !== o.patientId) problems.push('questionnaire row missing');
      // Every attempt leaves a record (a retried read: the failed attempt's `error` one too);
      // the access answered 2xx is the one `ok` record of its action and patient.
      const ok = (audits.get(o.requestId) ?? []).filter(
        (a) => a.outcome === 'ok' && a.action === ACTION[o.op] && a.patient_id === o.patientId,
      );
      if (ok.length === 0) problems.push('audit record missing');
      if (problems.length > 0) lost++;
      if (ok.length > 1) {
        duplicated++;
        problems.push(`${ok.length} audit records`);
      }
      if (problems.length > 0)
        violations.push({ requestId: o.requestId, op: o.op, status: o.status, problem: problems.join(', ') });
    }
    return { checked: acknowledged.length, lost, duplicated, violations };
  });
}
