// Minimal zip extractor for machines without `unzip` (stored and deflated
// entries, no zip64). Used by scripts/tools/helm.sh.
//
// Usage: node scripts/tools/unzip.mjs ARCHIVE DEST [ENTRY...]
//   With no ENTRY every file is extracted.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';

const [archive, dest, ...wanted] = process.argv.slice(2);
if (!archive || !dest) {
  process.stderr.write('usage: unzip.mjs ARCHIVE DEST [ENTRY...]\n');
  process.exit(2);
}

const buf = readFileSync(archive);
const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

let eocd = -1;
for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
  if (buf.readUInt32LE(i) === EOCD) {
    eocd = i;
    break;
  }
}
if (eocd < 0) throw new Error(`${archive}: not a zip archive`);

const count = buf.readUInt16LE(eocd + 10);
let pos = buf.readUInt32LE(eocd + 16);
const found = new Set();
for (let n = 0; n < count; n++) {
  if (buf.readUInt32LE(pos) !== CENTRAL) throw new Error('corrupt central directory');
  const method = buf.readUInt16LE(pos + 10);
  const crc = buf.readUInt32LE(pos + 16);
  const compressed = buf.readUInt32LE(pos + 20);
  const nameLen = buf.readUInt16LE(pos + 28);
  const extraLen = buf.readUInt16LE(pos + 30);
  const commentLen = buf.readUInt16LE(pos + 32);
  const local = buf.readUInt32LE(pos + 42);
  const name = buf.toString('utf8', pos + 46, pos + 46 + nameLen);
  pos += 46 + nameLen + extraLen + commentLen;

  if (name.endsWith('/')) continue;
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const target = normalize(join(dest, name));
  if (!target.startsWith(normalize(dest))) throw new Error(`unsafe entry name: ${name}`);

  if (buf.readUInt32LE(local) !== LOCAL) throw new Error(`corrupt local header: ${name}`);
  const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
  const raw = buf.subarray(start, start + compressed);
  let data;
  if (method === 0) data = raw;
  else if (method === 8) data = inflateRawSync(raw);
  else throw new Error(`${name}: unsupported compression method ${method}`);
  if (typeof crc32 === 'function' && crc32(data) !== crc) throw new Error(`${name}: CRC mismatch`);

  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, data, { mode: 0o755 });
  found.add(name);
}
const missing = wanted.filter((w) => !found.has(w));
if (missing.length > 0) throw new Error(`${archive}: missing entries ${missing.join(', ')}`);
