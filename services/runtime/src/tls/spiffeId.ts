import type { PeerCertificate } from 'node:tls';

/**
 * The SPIFFE id of an X.509-SVID: its one URI SAN, `spiffe://<trust-domain>/<path>`.
 * Undefined when the certificate has none, or more than one URI SAN (an SVID has exactly one).
 *
 * `subjectAltName` is Node's rendering (`DNS:a, URI:spiffe://…, IP Address:…`), in which a
 * value holding a separator or a quote is JSON-quoted: parsed with that rule, a DNS name
 * such as `x, URI:spiffe://…` cannot pass for a URI entry.
 */
export function spiffeIdOf(subjectAltName: string | undefined): string | undefined {
  const uris = sanEntries(subjectAltName ?? '').filter(([type]) => type === 'URI');
  if (uris.length !== 1) return undefined;
  const [, value] = uris[0]!;
  // The SPIFFE spec caps an id at 2048 bytes: a peer cannot put kilobytes into audit records.
  return value.length <= 2048 && /^spiffe:\/\/[a-z0-9._-]+\/[^\s?#]+$/i.test(value) ? value : undefined;
}

/** The SPIFFE id a TLS peer presented (undefined for none or a malformed one). */
export const peerSpiffeId = (certificate: PeerCertificate | undefined): string | undefined =>
  spiffeIdOf(certificate?.subjectaltname);

function sanEntries(text: string): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  const entry = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;
  let match: RegExpExecArray | null;
  while (entry.lastIndex < text.length && (match = entry.exec(text))) {
    const raw = match[2]!;
    entries.push([match[1]!, raw.startsWith('"') ? (JSON.parse(raw) as string) : raw]);
  }
  return entries;
}
