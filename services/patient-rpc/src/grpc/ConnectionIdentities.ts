import type { PeerCertificate, TLSSocket } from 'node:tls';
import { peerSpiffeId } from '@patient-mesh/runtime';

type Entry = { socket: TLSSocket; id: string | undefined };

/**
 * The SPIFFE id of each open, verified TLS connection, keyed by the peer address grpc-js
 * reports for its calls (`call.getPeer()`: remote ip:port). Reading the certificate per
 * call (`getAuthContext()` → `getPeerCertificate()`) costs ~75 µs; this reads it once per
 * connection. An address held by two open connections at once (one client port to two
 * local addresses) is ambiguous and never answered from here; a miss means "ask the call".
 */
export class ConnectionIdentities {
  readonly #byPeer = new Map<string, Entry | 'ambiguous'>();

  /** Records a verified connection, whose client presented `certificate`, until it closes. */
  add(socket: TLSSocket, certificate: PeerCertificate): string | undefined {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const id = peerSpiffeId(certificate);
    this.#byPeer.set(key, this.#byPeer.has(key) ? 'ambiguous' : { socket, id });
    socket.once('close', () => {
      const entry = this.#byPeer.get(key);
      if (entry === 'ambiguous' || entry?.socket === socket) this.#byPeer.delete(key);
    });
    return id;
  }

  /** The identity of the connection at `peer`, or undefined when unknown here. */
  lookup(peer: string): { id: string | undefined } | undefined {
    const entry = this.#byPeer.get(peer);
    return entry === undefined || entry === 'ambiguous' ? undefined : { id: entry.id };
  }
}
