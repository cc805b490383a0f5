import type { NewPatient } from '../domain/NewPatient.js';
import { seededRandom } from './seededRandom.js';

const GIVEN = ['Test', 'Demo', 'Sample', 'Synthetic', 'Fixture', 'Mock'];
const FAMILY = ['Patient', 'Subject', 'Participant', 'Volunteer'];
const SEXES = ['female', 'male', 'other', 'unknown'];

/**
 * Clearly fake patients for development and tests: names such as "Synthetic Participant
 * 0042", trial TRIAL-0001..3, subject codes unique per trial.
 */
export function syntheticPatients(count: number, seed = 1): NewPatient[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0');
    const year = 1940 + Math.floor(random() * 65);
    const month = String(1 + Math.floor(random() * 12)).padStart(2, '0');
    const day = String(1 + Math.floor(random() * 28)).padStart(2, '0');
    return {
      trialId: `TRIAL-000${1 + (i % 3)}`,
      siteId: `SITE-${String(1 + Math.floor(random() * 20)).padStart(3, '0')}`,
      subjectCode: `SYN-${seed}-${n}`,
      givenName: pick(GIVEN),
      familyName: `${pick(FAMILY)} ${n}`,
      birthDate: `${year}-${month}-${day}`,
      sex: pick(SEXES),
    };
  });
}
