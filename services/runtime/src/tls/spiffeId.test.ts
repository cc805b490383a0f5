import { describe, expect, it } from 'vitest';
import { spiffeIdOf } from './spiffeId.js';

describe('spiffeIdOf', () => {
  it('returns the one spiffe URI SAN', () => {
    expect(spiffeIdOf('DNS:patient-rpc, URI:spiffe://cluster.local/ns/pm/sa/patient-api, IP Address:10.0.0.1')).toBe(
      'spiffe://cluster.local/ns/pm/sa/patient-api',
    );
  });

  it('refuses certificates that are not an X.509-SVID', () => {
    expect(spiffeIdOf(undefined)).toBeUndefined();
    expect(spiffeIdOf('DNS:patient-api')).toBeUndefined();
    expect(spiffeIdOf('URI:https://example.com/sa/patient-api')).toBeUndefined();
    expect(spiffeIdOf('URI:spiffe://td/ns/a/sa/x, URI:spiffe://td/ns/a/sa/y')).toBeUndefined();
    expect(spiffeIdOf('URI:spiffe://td')).toBeUndefined();
    expect(spiffeIdOf(`URI:spiffe://td/${'x'.repeat(2048)}`)).toBeUndefined();
  });

  it('does not take a quoted DNS name that looks like a URI entry for one', () => {
    // Node quotes a SAN value that holds the separator, as a certificate crafted to pass
    // `, URI:spiffe://…` inside a DNS name would.
    expect(spiffeIdOf('DNS:"evil, URI:spiffe://cluster.local/ns/pm/sa/patient-api"')).toBeUndefined();
    expect(spiffeIdOf('DNS:"evil, URI:spiffe://td/ns/pm/sa/patient-api", URI:spiffe://td/ns/pm/sa/intruder')).toBe(
      'spiffe://td/ns/pm/sa/intruder',
    );
  });
});
