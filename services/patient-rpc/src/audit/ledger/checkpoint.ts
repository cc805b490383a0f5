import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Checkpoints (c2sp.org/tlog-checkpoint) in signed notes (c2sp.org/signed-note), Ed25519
 * only, with the key formats of golang.org/x/mod/sumdb/note, so that Go's note.Open and
 * the transparency-dev tools read what this signs, and this reads what they sign.
 */

/** A log's tree head: who issued it, how many leaves, the RFC 9162 root of those leaves. */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
}

/** An Ed25519 note signer: `sign` turns a note text (a checkpoint body) into a signed note. */
export interface NoteSigner {
  readonly name: string;
  readonly verifierKey: string;
  sign(body: string): string;
}

const brand = Symbol.for('patient-mesh.CheckpointError');

/**
 * A checkpoint or signed note that is malformed or does not verify; `reason` says which.
 * It lives here, not in a file of its own, because it is part of this module's contract.
 */
export class CheckpointError extends Error {
  readonly [brand] = true;
  override readonly name = 'CheckpointError';
  /** A plain field, not a parameter property: scripts import this module into Node's type stripping. */
  readonly reason: string;

  constructor(reason: string) {
    super(`checkpoint rejected: ${reason}`);
    this.reason = reason;
  }
}

export const isCheckpointError = (e: unknown): e is CheckpointError =>
  typeof e === 'object' && e !== null && brand in e;

const ED25519 = 0x01; // signed-note signature type of Ed25519
const ROOT_BYTES = 32;
/** sumdb/note's limit; the spec asks for at least 16. */
const MAX_SIGNATURES = 100;
/** ASCII controls other than newline, which a note must not contain (signed-note "Format"). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
/** The DER prefix of an Ed25519 PKCS#8 private key (RFC 8410), before the 32-byte seed. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** tlog-checkpoint "Note text": origin, decimal size, base64 root, each ending in a newline. */
export function formatCheckpoint(c: Checkpoint): string {
  if (c.origin === '' || c.origin.includes('\n') || CONTROL.test(c.origin)) throw new CheckpointError('bad origin');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new CheckpointError(`bad tree size ${c.size}`);
  if (c.root.length !== ROOT_BYTES) throw new CheckpointError(`root hash is ${c.root.length} bytes, not ${ROOT_BYTES}`);
  return `${c.origin}\n${c.size}\n${c.root.toString('base64')}\n`;
}

/**
 * Parses a checkpoint body; throws CheckpointError naming what is wrong. Extension lines
 * (tlog-checkpoint: opaque, optional, non-empty) are accepted and dropped: the signature
 * covers them, and nothing here gives them a meaning.
 */
export function parseCheckpoint(body: string): Checkpoint {
  if (!body.endsWith('\n')) throw new CheckpointError('checkpoint does not end in a newline');
  const [origin = '', size = '', root = '', ...extensions] = body.slice(0, -1).split('\n');
  if (origin === '') throw new CheckpointError('empty origin');
  if (!DECIMAL.test(size) || !Number.isSafeInteger(Number(size))) throw new CheckpointError(`bad tree size "${size}"`);
  const hash = decodeBase64(root);
  if (hash?.length !== ROOT_BYTES)
    throw new CheckpointError(`root hash "${root}" is not ${ROOT_BYTES} bytes of base64`);
  if (extensions.includes('')) throw new CheckpointError('empty line in checkpoint');
  return { origin, size: Number(size), root: hash };
}

/** An Ed25519 signer named `name` (a key name: no spaces, no '+'), from a private KeyObject. */
export function createNoteSigner(name: string, privateKey: KeyObject): NoteSigner {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519')
    throw new CheckpointError('the signing key is not an Ed25519 private key');
  const publicKey = createPublicKey(privateKey);
  const verifierKey = verifierKeyOf(name, publicKey);
  const keyId = keyIdOf(name, rawPublicKey(publicKey));
  return {
    name,
    verifierKey,
    sign(body) {
      if (!body.endsWith('\n') || CONTROL.test(body) || !body.isWellFormed())
        throw new CheckpointError('a note text is well-formed UTF-8 ending in a newline, with no controls');
      const signature = sign(null, Buffer.from(body, 'utf8'), privateKey);
      return `${body}\n— ${name} ${Buffer.concat([keyId, signature]).toString('base64')}\n`;
    },
  };
}

/** The vkey string of an Ed25519 public key: `<name>+<key ID hex>+<base64(0x01 || key)>` (sumdb/note). */
export function verifierKeyOf(name: string, publicKey: KeyObject): string {
  if (!isKeyName(name)) throw new CheckpointError(`bad key name "${name}"`);
  if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ed25519')
    throw new CheckpointError('not an Ed25519 public key');
  const key = rawPublicKey(publicKey);
  return `${name}+${keyIdOf(name, key).toString('hex')}+${Buffer.concat([Buffer.of(ED25519), key]).toString('base64')}`;
}

/** Reads a sumdb/note signer key, `PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 || seed)>`. */
export function parseNoteSignerKey(skey: string): { name: string; privateKey: KeyObject } {
  const prefix = 'PRIVATE+KEY+';
  const { name, id, encoded } = splitKey(skey.slice(prefix.length));
  const seed = ed25519Key(encoded);
  if (!skey.startsWith(prefix) || !isKeyName(name) || !seed) throw new CheckpointError('malformed signer key');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  if (keyIdOf(name, rawPublicKey(createPublicKey(privateKey))).toString('hex') !== id.toLowerCase())
    throw new CheckpointError('signer key ID does not match its key');
  return { name, privateKey };
}

/**
 * Verifies a signed note against one vkey (signed-note "Format" and "Signatures"): the
 * signature lines of this key's name and ID must verify, at least one must be there, and
 * the others are ignored. Returns the note text; throws CheckpointError with the reason.
 */
export function openNote(note: string, verifierKey: string): string {
  const verifier = parseVerifierKey(verifierKey);
  if (CONTROL.test(note) || !note.isWellFormed())
    throw new CheckpointError('malformed note: control characters or broken Unicode');
  // The text is separated from the signatures by the last empty line, and keeps its newline.
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new CheckpointError('malformed note: no signature block');
  const body = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new CheckpointError('malformed note: too many signatures');
  let verified = false;
  for (const line of lines) {
    const [name = '', encoded = ''] = line.startsWith('— ') ? splitOnce(line.slice(2), ' ') : [];
    const bytes = decodeBase64(encoded);
    if (!isKeyName(name) || !bytes || bytes.length < 5) throw new CheckpointError('malformed note: bad signature line');
    if (name !== verifier.name || !bytes.subarray(0, 4).equals(verifier.keyId)) continue;
    if (!verify(null, Buffer.from(body, 'utf8'), verifier.publicKey, bytes.subarray(4)))
      throw new CheckpointError(`signature by ${name} does not verify`);
    verified = true;
  }
  if (!verified) throw new CheckpointError(`no signature by ${verifier.name}+${verifier.keyId.toString('hex')}`);
  return body;
}

/** openNote + parseCheckpoint, and checks the origin when given. */
export function verifyCheckpoint(note: string, verifierKey: string, origin?: string): Checkpoint {
  const checkpoint = parseCheckpoint(openNote(note, verifierKey));
  if (origin !== undefined && checkpoint.origin !== origin)
    throw new CheckpointError(`origin is "${checkpoint.origin}", expected "${origin}"`);
  return checkpoint;
}

function parseVerifierKey(vkey: string): { name: string; keyId: Buffer; publicKey: KeyObject } {
  const { name, id, encoded } = splitKey(vkey);
  const key = ed25519Key(encoded);
  if (!isKeyName(name) || !/^[0-9a-f]{8}$/i.test(id) || !key) throw new CheckpointError('malformed verifier key');
  const keyId = keyIdOf(name, key);
  if (keyId.toString('hex') !== id.toLowerCase()) throw new CheckpointError('verifier key ID does not match its key');
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: key.toString('base64url') },
    format: 'jwk',
  });
  return { name, keyId, publicKey };
}

/** `<name>+<key ID>+<base64 key>`: split at the first two '+' only, as base64 has '+' too. */
function splitKey(key: string): { name: string; id: string; encoded: string } {
  const [name, rest] = splitOnce(key, '+');
  const [id, encoded] = splitOnce(rest, '+');
  return { name, id, encoded };
}

/** The 32 bytes of an Ed25519 key in its sumdb/note encoding, base64(0x01 || key), or undefined. */
function ed25519Key(encoded: string): Buffer | undefined {
  const bytes = decodeBase64(encoded);
  return bytes?.length === 33 && bytes[0] === ED25519 ? bytes.subarray(1) : undefined;
}

/** signed-note "Ed25519 signatures": SHA-256(key name || 0x0A || 0x01 || public key)[:4]. */
function keyIdOf(name: string, rawKey: Buffer): Buffer {
  return createHash('sha256').update(`${name}\n`).update(Buffer.of(ED25519)).update(rawKey).digest().subarray(0, 4);
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  return Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
}

/** signed-note: key names are non-empty, without Unicode spaces or '+' (and, being in a note, without controls). */
const isKeyName = (name: string): boolean => name !== '' && !/[\s\u0085+]/u.test(name) && !CONTROL.test(name);

/** Standard base64 (RFC 4648 section 4) in its one canonical spelling, or undefined. */
function decodeBase64(text: string): Buffer | undefined {
  // Buffer.from(…, 'base64') skips bad characters and accepts base64url: check the round trip.
  const bytes = Buffer.from(text, 'base64');
  return text !== '' && bytes.toString('base64') === text ? bytes : undefined;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + separator.length)];
}
