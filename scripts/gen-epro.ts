// Writes a synthetic ePRO NDJSON import file, deterministic for a given --seed, and prints
// the counts patient-rpc must report for it as JSON on stderr:
//   node scripts/gen-epro.ts --lines 100000 --patients <id,id> [--patients-file f]
//     [--invalid-fraction 0.01] [--duplicate-fraction 0.01] [--seed 1] [--out file]
// Invalid lines rotate through: not JSON, binary garbage, unknown instrument, an answer
// out of range, missing submissionId, unknown patient. Duplicates reuse the submission id
// of an earlier accepted line.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { seededRandom } from '@patient-mesh/patient-rpc';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000' },
    patients: { type: 'string' },
    'patients-file': { type: 'string' },
    'invalid-fraction': { type: 'string', default: '0' },
    'duplicate-fraction': { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});

const patients = (values.patients ?? (values['patients-file'] ? readFileSync(values['patients-file'], 'utf8') : ''))
  .split(/[\s,]+/)
  .filter((p) => p.length > 0);
if (patients.length === 0) {
  process.stderr.write('gen-epro: --patients or --patients-file is required\n');
  process.exit(2);
}
const total = Number(values.lines);
const invalidFraction = Number(values['invalid-fraction']);
const duplicateFraction = Number(values['duplicate-fraction']);
const seed = Number(values.seed);

const random = seededRandom(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** The submission id of the k-th accepted line: a v4-shaped UUID derived from seed and k. */
function submissionId(k: number): string {
  const h = createHash('sha1').update(`${seed}:${k}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
const answers = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 4));
function validLine(id: string): string {
  const phq9 = random() < 0.5;
  return JSON.stringify({
    submissionId: id,
    patientId: pick(patients),
    instrument: phq9 ? 'phq9' : 'gad7',
    answers: answers(phq9 ? 9 : 7),
    completedAt: new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 3e10)).toISOString(),
  });
}

const INVALID = [
  'not_json',
  'garbage',
  'unknown_instrument',
  'out_of_range',
  'missing_submission_id',
  'unknown_patient',
] as const;
let invalidSeq = 0;
function invalidLine(kind: (typeof INVALID)[number]): string | Buffer {
  const id = submissionId(-1 - invalidSeq++);
  switch (kind) {
    case 'not_json':
      return `{"submissionId": "${id}", oops`;
    case 'garbage': {
      const bytes = Buffer.alloc(24 + Math.floor(random() * 40));
      for (let i = 0; i < bytes.length; i++)
        bytes[i] = i === 0 ? 0xff : random() < 0.1 ? 0 : 0x80 + Math.floor(random() * 128);
      return bytes;
    }
    case 'unknown_instrument':
      return JSON.stringify({ submissionId: id, patientId: pick(patients), instrument: 'bdi2', answers: answers(21) });
    case 'out_of_range': {
      const a = answers(9);
      a[Math.floor(random() * 9)] = 4 + Math.floor(random() * 5);
      return JSON.stringify({ submissionId: id, patientId: pick(patients), instrument: 'phq9', answers: a });
    }
    case 'missing_submission_id':
      return JSON.stringify({ patientId: pick(patients), instrument: 'gad7', answers: answers(7) });
    case 'unknown_patient':
      return JSON.stringify({
        submissionId: id,
        patientId: '00000000-0000-4000-8000-000000000000',
        instrument: 'gad7',
        answers: answers(7),
      });
  }
}

async function main(): Promise<void> {
  const out: Writable = values.out ? createWriteStream(values.out) : process.stdout;
  const expected = { lines: total, accepted: 0, rejected: 0, duplicate: 0 };
  let buffer: Array<string | Buffer> = [];
  const flush = async () => {
    if (!out.write(Buffer.concat(buffer.map((b) => (typeof b === 'string' ? Buffer.from(b) : b)))))
      await once(out, 'drain');
    buffer = [];
  };
  for (let i = 0; i < total; i++) {
    const r = random();
    if (r < invalidFraction) {
      buffer.push(invalidLine(INVALID[expected.rejected % INVALID.length]!), '\n');
      expected.rejected += 1;
    } else if (r < invalidFraction + duplicateFraction && expected.accepted > 0) {
      buffer.push(validLine(submissionId(Math.floor(random() * expected.accepted))), '\n');
      expected.duplicate += 1;
    } else {
      buffer.push(validLine(submissionId(expected.accepted)), '\n');
      expected.accepted += 1;
    }
    if (buffer.length >= 2000) await flush();
  }
  await flush();
  if (values.out) {
    out.end();
    await once(out, 'finish');
  }
  process.stderr.write(`${JSON.stringify(expected)}\n`);
}

await main();
