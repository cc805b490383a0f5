import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  createNoteSigner,
  formatCheckpoint,
  isCheckpointError,
  openNote,
  parseCheckpoint,
  parseNoteSignerKey,
  verifierKeyOf,
  verifyCheckpoint,
  type Checkpoint,
} from './checkpoint.js';

// Test vectors of golang.org/x/mod/sumdb/note, from its note_test.go (TestSign, TestOpen):
// https://github.com/golang/mod/blob/master/sumdb/note/note_test.go
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';
/** A signature line with "ABCD" spliced into its base64, as note_test.go makes a bad one. */
const corrupt = (line: string): string => `${line.slice(0, 60)}ABCD${line.slice(60)}`;

// The example checkpoint of c2sp.org/tlog-checkpoint (its key is not published).
const SPEC_BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SPEC_NOTE = `${SPEC_BODY}\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n`;

const ORIGIN = 'patient-mesh/audit';
const checkpoint: Checkpoint = { origin: ORIGIN, size: 1234, root: Buffer.alloc(32, 0xab) };
const newSigner = (name = ORIGIN) => createNoteSigner(name, generateKeyPairSync('ed25519').privateKey);

/** The reason of the CheckpointError that `fn` throws. */
function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isCheckpointError(e)) return e.reason;
    throw e;
  }
  throw new Error('expected a CheckpointError');
}

describe('signed notes against the sumdb/note vectors', () => {
  it('opens the published note with the published vkey', () => {
    expect(openNote(`${TEXT}\n${PETER_SIG}`, PETER_VKEY)).toBe(TEXT);
  });

  it('signs byte for byte as sumdb/note does, from its signer key', () => {
    const { name, privateKey } = parseNoteSignerKey(PETER_SKEY);
    const signer = createNoteSigner(name, privateKey);
    expect(signer.verifierKey).toBe(PETER_VKEY);
    expect(verifierKeyOf(name, createPublicKey(privateKey))).toBe(PETER_VKEY);
    expect(reasonOf(() => verifierKeyOf(name, privateKey))).toBe('not an Ed25519 public key');
    expect(signer.sign(TEXT)).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('uses the signature of its own key and ignores the others', () => {
    const both = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    expect(openNote(both, PETER_VKEY)).toBe(TEXT);
    expect(openNote(both, ENOCH_VKEY)).toBe(TEXT);
    expect(openNote(`${TEXT}\n${PETER_SIG}${corrupt(ENOCH_SIG)}`, PETER_VKEY)).toBe(TEXT);
    expect(reasonOf(() => openNote(`${TEXT}\n${ENOCH_SIG}`, PETER_VKEY))).toBe('no signature by PeterNeumann+c74f20a3');
    expect(reasonOf(() => openNote(`${TEXT}\n${corrupt(PETER_SIG)}`, PETER_VKEY))).toBe(
      'signature by PeterNeumann does not verify',
    );
  });

  it('rejects the malformed notes note_test.go rejects', () => {
    const malformed = [
      TEXT,
      `${TEXT}\n`,
      `${TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\x01${TEXT}\n${PETER_SIG}`,
      `\uD800${TEXT}\n${PETER_SIG}`, // the JavaScript string analogue of invalid UTF-8
      `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
      `${TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${TEXT}\n${PETER_SIG.repeat(101)}`,
    ];
    for (const note of malformed) expect(reasonOf(() => openNote(note, PETER_VKEY))).toMatch(/^malformed note/);
  });

  it('rejects malformed and inconsistent keys', () => {
    for (const vkey of [
      'PeterNeumann+c74f20a3',
      'PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW',
      'PeterNeumann+c74f20a3+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    ])
      expect(reasonOf(() => openNote(`${TEXT}\n${PETER_SIG}`, vkey))).toBe('malformed verifier key');
    expect(reasonOf(() => openNote(`${TEXT}\n${PETER_SIG}`, PETER_VKEY.replace('c74f20a3', 'c74f20a4')))).toBe(
      'verifier key ID does not match its key',
    );
    expect(reasonOf(() => parseNoteSignerKey(PETER_SKEY.replace('c74f20a3', 'c74f20a4')))).toBe(
      'signer key ID does not match its key',
    );
    expect(reasonOf(() => parseNoteSignerKey(PETER_SKEY.slice(1)))).toBe('malformed signer key');
  });
});

describe('signed checkpoints', () => {
  it('round-trips: sign, then verify with the vkey and origin', () => {
    const signer = newSigner();
    const note = signer.sign(formatCheckpoint(checkpoint));
    expect(verifyCheckpoint(note, signer.verifierKey, ORIGIN)).toEqual(checkpoint);
    expect(verifyCheckpoint(note, signer.verifierKey)).toEqual(checkpoint);
  });

  it('fails when anything in the body changed', () => {
    const signer = newSigner();
    const note = signer.sign(formatCheckpoint(checkpoint));
    const root = checkpoint.root.toString('base64');
    const tampered = [
      note.replace('\n1234\n', '\n1235\n'),
      note.replace(root, Buffer.alloc(32, 0xac).toString('base64')),
      note.replace(`${ORIGIN}\n`, 'patient-mesh/audiT\n'),
      note.replace('\n1234\n', '\n1234\nextension\n'),
      ` ${note}`,
    ];
    for (const changed of tampered)
      expect(reasonOf(() => verifyCheckpoint(changed, signer.verifierKey))).toBe(
        `signature by ${ORIGIN} does not verify`,
      );
  });

  it('fails for a signature by another key, a vkey of another name, or another origin', () => {
    const signer = newSigner();
    const note = signer.sign(formatCheckpoint(checkpoint));
    const other = newSigner();
    expect(reasonOf(() => verifyCheckpoint(note, other.verifierKey))).toMatch(/^no signature by patient-mesh\/audit\+/);
    const { privateKey } = generateKeyPairSync('ed25519');
    const renamed = createNoteSigner('patient-mesh/other', privateKey);
    const renamedNote = createNoteSigner(ORIGIN, privateKey).sign(formatCheckpoint(checkpoint));
    expect(reasonOf(() => verifyCheckpoint(renamedNote, renamed.verifierKey))).toMatch(
      /^no signature by patient-mesh\/other\+/,
    );
    expect(reasonOf(() => verifyCheckpoint(note, signer.verifierKey, 'patient-mesh/elsewhere'))).toBe(
      `origin is "${ORIGIN}", expected "patient-mesh/elsewhere"`,
    );
  });

  it('writes the note format of the spec: blank line, em dash line, key ID, standard base64', () => {
    const signer = newSigner();
    const body = formatCheckpoint(checkpoint);
    const note = signer.sign(body);
    expect(body).toBe(`${ORIGIN}\n1234\n${'q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s='}\n`);
    expect(note.startsWith(`${body}\n\u2014 ${ORIGIN} `)).toBe(true);
    expect(note.endsWith('\n')).toBe(true);
    const encoded = note.slice(body.length + 1).slice(`\u2014 ${ORIGIN} `.length, -1);
    expect(encoded).toMatch(/^[A-Za-z0-9+/]{91}=$/); // 4-byte key ID + 64-byte signature
    const keyIdHex = signer.verifierKey.split('+')[1];
    expect(Buffer.from(encoded, 'base64').subarray(0, 4).toString('hex')).toBe(keyIdHex);
    // base64(0x01 || key) starts with A, then 01 and four key bits.
    expect(signer.verifierKey).toMatch(/^patient-mesh\/audit\+[0-9a-f]{8}\+A[Q-Za-f][A-Za-z0-9+/]{42}$/);
  });

  it('reads the spec example: its body parses and formats back, its note is well-formed', () => {
    const parsed = parseCheckpoint(SPEC_BODY);
    expect(parsed.origin).toBe('example.com/behind-the-sofa');
    expect(parsed.size).toBe(20852163);
    expect(parsed.root).toHaveLength(32);
    expect(formatCheckpoint(parsed)).toBe(SPEC_BODY);
    // Its key is not published: the note parses, and no signature is by our key.
    expect(reasonOf(() => openNote(SPEC_NOTE, PETER_VKEY))).toMatch(/^no signature by/);
  });

  it("reads vkeys whose base64 holds a '+' (the separator of vkey fields)", () => {
    // Fixed seeds, so the key found is the same on every run: an RFC 8410 PKCS#8 prefix + seed.
    const keyOf = (seed: number) =>
      createPrivateKey({
        key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, seed)]),
        format: 'der',
        type: 'pkcs8',
      });
    const signers = Array.from({ length: 64 }, (_, seed) => createNoteSigner(ORIGIN, keyOf(seed)));
    const signer = signers.find((s) => s.verifierKey.split('+').length > 3)!;
    expect(verifyCheckpoint(signer.sign(formatCheckpoint(checkpoint)), signer.verifierKey)).toEqual(checkpoint);
  });

  it('rejects a signature line of its key that is too short to be a signature', () => {
    const signer = newSigner();
    const note = signer.sign(formatCheckpoint(checkpoint));
    const line = note.slice(note.lastIndexOf('\n\n') + 2);
    const keyId = Buffer.from(line.split(' ')[2]!, 'base64').subarray(0, 4);
    const short = note.replace(
      line,
      `\u2014 ${ORIGIN} ${Buffer.concat([keyId, Buffer.alloc(8)]).toString('base64')}\n`,
    );
    expect(reasonOf(() => openNote(short, signer.verifierKey))).toBe(`signature by ${ORIGIN} does not verify`);
  });

  it('loads the PKCS#8 PEM keys the service is configured with', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
    const reloaded = createNoteSigner(ORIGIN, createPrivateKey(pem));
    expect(reloaded.verifierKey).toBe(createNoteSigner(ORIGIN, privateKey).verifierKey);
    expect(verifyCheckpoint(reloaded.sign(formatCheckpoint(checkpoint)), reloaded.verifierKey)).toEqual(checkpoint);
  });

  it('refuses keys, key names and note texts it cannot sign', () => {
    const { privateKey: ecKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(reasonOf(() => createNoteSigner(ORIGIN, ecKey))).toMatch(/not an Ed25519 private key/);
    for (const name of ['', 'a b', 'a+b', 'a\u00a0b']) expect(reasonOf(() => newSigner(name))).toMatch(/bad key name/);
    const signer = newSigner();
    expect(() => signer.sign('no final newline')).toThrow(CheckpointError);
    expect(() => signer.sign('tab\there\n')).toThrow(CheckpointError);
  });
});

describe('checkpoint bodies', () => {
  const root = Buffer.alloc(32, 7).toString('base64');

  it('parses size 0 and keeps extension lines out of the result', () => {
    expect(parseCheckpoint(`o\n0\n${root}\n`)).toEqual({ origin: 'o', size: 0, root: Buffer.alloc(32, 7) });
    expect(parseCheckpoint(`o\n5\n${root}\next one\next two\n`).size).toBe(5);
  });

  it('rejects bodies that break tlog-checkpoint', () => {
    const cases: [string, RegExp][] = [
      [`o\n5\n${root}`, /does not end in a newline/],
      [`\n5\n${root}\n`, /empty origin/],
      [`o\n-1\n${root}\n`, /bad tree size/],
      [`o\n1.5\n${root}\n`, /bad tree size/],
      [`o\n05\n${root}\n`, /bad tree size/],
      [`o\n0x5\n${root}\n`, /bad tree size/],
      [`o\n 5\n${root}\n`, /bad tree size/],
      [`o\n${2 ** 53}\n${root}\n`, /bad tree size/],
      [`o\n5\n${Buffer.alloc(31).toString('base64')}\n`, /not 32 bytes/],
      [`o\n5\n${Buffer.alloc(33).toString('base64')}\n`, /not 32 bytes/],
      [`o\n5\n${Buffer.alloc(32, 0xff).toString('base64url')}\n`, /not 32 bytes/],
      [`o\n5\n${root.replace('=', '')}\n`, /not 32 bytes/],
      [`o\n5\n`, /not 32 bytes/],
      [`o\n5\n${root}\n\n`, /empty line/],
    ];
    for (const [body, reason] of cases)
      expect(
        reasonOf(() => parseCheckpoint(body)),
        JSON.stringify(body),
      ).toMatch(reason);
  });

  it('refuses to format what it could not parse back', () => {
    const good = { origin: 'o', size: 1, root: Buffer.alloc(32) };
    expect(reasonOf(() => formatCheckpoint({ ...good, origin: '' }))).toBe('bad origin');
    expect(reasonOf(() => formatCheckpoint({ ...good, origin: 'a\nb' }))).toBe('bad origin');
    expect(reasonOf(() => formatCheckpoint({ ...good, size: -1 }))).toMatch(/bad tree size/);
    expect(reasonOf(() => formatCheckpoint({ ...good, size: 0.5 }))).toMatch(/bad tree size/);
    expect(reasonOf(() => formatCheckpoint({ ...good, root: Buffer.alloc(20) }))).toMatch(/not 32/);
  });

  it('brands its error so the guard works across copies of the module', () => {
    const error = new CheckpointError('x');
    expect(isCheckpointError(error)).toBe(true);
    expect(error.message).toBe('checkpoint rejected: x');
    expect(isCheckpointError(new Error('x'))).toBe(false);
    expect(isCheckpointError(null)).toBe(false);
  });
});
