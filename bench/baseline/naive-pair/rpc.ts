// The afternoon version's backend: grpc-js + proto-loader, patients in a Map. No auth,
// no audit, no policies, no telemetry. Usage: node rpc.ts PORT COUNT
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const definition = protoLoader.loadSync('patient/v1/patient.proto', {
  includeDirs: [new URL('../../../proto', import.meta.url).pathname],
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
});
const proto = grpc.loadPackageDefinition(definition) as any;
const patients = new Map<string, object>();
const list: object[] = [];
for (let i = 0; i < Number(process.argv[3] ?? 1000); i++) {
  const id = randomUUID();
  patients.set(id, {
    id,
    trialId: 'TRIAL-0001',
    siteId: 'SITE-001',
    subjectCode: `B-${i}`,
    givenName: 'Bench',
    familyName: `Patient ${i}`,
    birthDate: '1970-01-01',
    sex: 'unknown',
    createdAt: new Date().toISOString(),
  });
  list.push(patients.get(id)!);
}
const server = new grpc.Server();
server.addService(proto.patient.v1.PatientService.service, {
  GetPatient(call: any, callback: any) {
    const patient = patients.get(call.request.id);
    if (!patient) return callback({ code: grpc.status.NOT_FOUND, details: 'not found' });
    callback(null, patient);
  },
  // pageSize 0: every patient at once; otherwise a page from the offset in pageToken.
  ListPatients(call: any, callback: any) {
    const size = Number(call.request.pageSize) || list.length;
    const offset = Number(call.request.pageToken) || 0;
    const end = Math.min(list.length, offset + size);
    callback(null, { patients: list.slice(offset, end), nextPageToken: end < list.length ? String(end) : '' });
  },
});
server.bindAsync(`127.0.0.1:${process.argv[2] ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', grpcPort: port })}\n`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
