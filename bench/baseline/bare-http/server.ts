// The floor: node:http answering a fixed JSON body. Usage: node server.ts PORT
import { createServer } from 'node:http';

const body = JSON.stringify({ id: '01a2138e-42e8-7d2f-ae9a-10f3c9b48308', trialId: 'TRIAL-0001', familyName: 'Bench' });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ msg: 'listening', httpPort: (server.address() as { port: number }).port })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
