/** Input for a new patient, as CreatePatient receives it. */
export interface NewPatient {
  trialId: string;
  siteId: string;
  subjectCode: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  sex: string;
}
