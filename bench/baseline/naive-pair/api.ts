// The afternoon version's gateway: express 5 with defaults → grpc-js client.
// Usage: node api.ts PORT RPC_TARGET
import express from 'express';
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
const client = new proto.patient.v1.PatientService(process.argv[3], grpc.credentials.createInsecure());

const app = express();
app.get('/api/v1/patients', (req, res) => {
  const query = req.query as { limit?: string; pageToken?: string };
  client.ListPatients(
    { pageSize: Number(query.limit ?? 0), pageToken: query.pageToken ?? '' },
    (error: any, page: any) => (error ? res.status(500).json({ error: error.message }) : res.json(page)),
  );
});
app.get('/api/v1/patients/:id', (req, res) => {
  client.GetPatient({ id: req.params.id }, (error: any, patient: any) => {
    if (error) res.status(error.code === grpc.status.NOT_FOUND ? 404 : 500).json({ error: error.message });
    else res.json(patient);
  });
});
const server = app.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ msg: 'listening', httpPort: (server.address() as { port: number }).port })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
