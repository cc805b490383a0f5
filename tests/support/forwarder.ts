// An L4 TCP forwarder like kube-proxy: each new connection is piped to one backend of a
// mutable set, round robin. Changing the set affects only new connections; connections
// already open keep their backend until either side closes.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

export interface Forwarder {
  /** The listening address clients connect to. */
  readonly host: string;
  readonly port: number;
  /** Replaces the backend set; open connections are left alone. */
  setBackends(backends: readonly Backend[]): void;
  backends(): Backend[];
  /** Connections accepted per backend (`host:port`), for assertions. */
  readonly accepted: Map<string, number>;
  /** Connections refused because the set was empty, or the backend could not be reached. */
  readonly refused: number;
  close(): Promise<void>;
}

const key = (b: Backend) => `${b.host}:${b.port}`;

export async function startForwarder(
  backends: readonly Backend[] = [],
  listen: { host?: string; port?: number } = {},
): Promise<Forwarder> {
  let set: Backend[] = [...backends];
  let next = 0;
  let refused = 0;
  const accepted = new Map<string, number>();
  const open = new Set<Socket>();

  const server = createServer({ noDelay: true }, (client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    if (set.length === 0) {
      refused += 1;
      client.resetAndDestroy();
      return;
    }
    const backend = set[next++ % set.length]!;
    accepted.set(key(backend), (accepted.get(key(backend)) ?? 0) + 1);
    const upstream = connect({ host: backend.host, port: backend.port, noDelay: true });
    open.add(upstream);
    upstream.once('close', () => open.delete(upstream));
    let connected = false;
    upstream.once('connect', () => (connected = true));
    // A reset on one side becomes a reset on the other, so clients see what the backend did.
    upstream.once('error', () => {
      if (!connected) refused += 1;
      client.resetAndDestroy();
    });
    client.once('error', () => upstream.resetAndDestroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;

  return {
    host: address.address,
    port: address.port,
    accepted,
    get refused() {
      return refused;
    },
    setBackends(list) {
      set = [...list];
    },
    backends: () => [...set],
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of open) socket.destroy();
      await closed;
    },
  };
}
