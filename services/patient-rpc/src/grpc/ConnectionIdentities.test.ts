import { EventEmitter } from 'node:events';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { ConnectionIdentities } from './ConnectionIdentities.js';

const API = 'spiffe://td/ns/pm/sa/patient-api';

type Connection = TLSSocket & EventEmitter & { certificate: PeerCertificate };

function socket(remotePort: number, san = `URI:${API}`): Connection {
  return Object.assign(new EventEmitter(), {
    remoteAddress: '10.0.0.5',
    remotePort,
    certificate: { subjectaltname: san },
  }) as unknown as Connection;
}

describe('ConnectionIdentities', () => {
  it('answers for an open connection, and forgets it when it closes', () => {
    const identities = new ConnectionIdentities();
    const s = socket(40000);
    expect(identities.add(s, s.certificate)).toBe(API);
    expect(identities.lookup('10.0.0.5:40000')).toEqual({ id: API });
    expect(identities.lookup('10.0.0.5:40001')).toBeUndefined();
    s.emit('close');
    expect(identities.lookup('10.0.0.5:40000')).toBeUndefined();
  });

  it('never answers for an address two open connections share', () => {
    const identities = new ConnectionIdentities();
    const [a, b] = [socket(40000), socket(40000, 'URI:spiffe://td/ns/pm/sa/intruder')];
    identities.add(a, a.certificate);
    identities.add(b, b.certificate);
    expect(identities.lookup('10.0.0.5:40000')).toBeUndefined();
    a.emit('close');
    expect(identities.lookup('10.0.0.5:40000')).toBeUndefined();
  });

  it('keeps a newer connection at the same address when the older one closes late', () => {
    const identities = new ConnectionIdentities();
    const old = socket(40000);
    identities.add(old, old.certificate);
    old.emit('close');
    const next = socket(40000, 'URI:spiffe://td/ns/pm/sa/other');
    identities.add(next, next.certificate);
    old.emit('close');
    expect(identities.lookup('10.0.0.5:40000')).toEqual({ id: 'spiffe://td/ns/pm/sa/other' });
  });
});
