import { Client, credentials, Server, ServerCredentials, type ServiceError } from '@grpc/grpc-js';
import { ROUND_ROBIN_CHANNEL_OPTIONS } from '../registerDiscoveryResolvers.js';

/** A one-method service answering with the server's name; `hold` keeps the call open until `release()`. */
const encode = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const decode = (buffer: Buffer): unknown => JSON.parse(buffer.toString());
const PATH = '/test.Who/Who';
const definition = {
  who: {
    path: PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: encode,
    requestDeserialize: decode,
    responseSerialize: encode,
    responseDeserialize: decode,
  },
};

export interface WhoServer {
  readonly host: string;
  readonly server: Server;
  /** Calls answered or held so far. */
  readonly calls: number;
  /** Resolves once `count` held calls are waiting here. */
  whenHolding(count: number): Promise<void>;
  /** Answer every held call. */
  release(): void;
}

function whoServer(host: string): WhoServer {
  const server = new Server();
  let calls = 0;
  let held: Array<() => void> = [];
  let waiters: Array<() => void> = [];
  server.addService(definition, {
    who: (call: { request: { hold?: boolean } }, callback: (e: null, r: { name: string }) => void) => {
      calls += 1;
      const answer = (): void => callback(null, { name: host });
      if (!call.request.hold) return answer();
      held.push(answer);
      waiters.forEach((check) => check());
    },
  });
  return {
    host,
    server,
    get calls() {
      return calls;
    },
    whenHolding: (count) =>
      new Promise<void>((resolve) => {
        const check = (): void => void (held.length >= count && resolve());
        waiters.push(check);
        check();
      }),
    release() {
      const answers = held;
      held = [];
      waiters = [];
      answers.forEach((answer) => answer());
    },
  };
}

function bind(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    );
  });
}

/** Servers on several loopback addresses sharing one port, like pods of one Deployment. */
export async function startWhoServers(hosts: string[]): Promise<{ port: number; servers: WhoServer[] }> {
  const servers = hosts.map(whoServer);
  const port = await bind(servers[0]!.server, `${hosts[0]}:0`);
  await Promise.all(servers.slice(1).map((s) => bind(s.server, `${s.host}:${port}`)));
  return { port, servers };
}

export function stopWhoServers(servers: WhoServer[]): void {
  servers.forEach((s) => s.server.forceShutdown());
}

/** One channel, round robin, its own subchannel pool (tests stay apart). */
export function whoClient(target: string) {
  const client = new Client(target, credentials.createInsecure(), {
    ...ROUND_ROBIN_CHANNEL_OPTIONS,
    'grpc.use_local_subchannel_pool': 1,
  });
  return {
    client,
    who(request: { hold?: boolean } = {}, deadlineMs = 3000): Promise<string> {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          PATH,
          encode,
          decode,
          request,
          { deadline: Date.now() + deadlineMs },
          (error: ServiceError | null, reply?: unknown) =>
            error ? reject(error) : resolve((reply as { name: string }).name),
        );
      });
    },
    close: (): void => client.close(),
  };
}
