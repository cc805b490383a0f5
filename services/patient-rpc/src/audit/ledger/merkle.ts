import { createHash } from 'node:crypto';

/**
 * Merkle tree hashing of RFC 9162 (Certificate Transparency v2), section 2.1, with SHA-256.
 *
 * Sizes and indices are numbers up to Number.MAX_SAFE_INTEGER (2^53 - 1). The proof
 * algorithms halve with arithmetic (`Math.floor(x / 2)`, `x % 2`), never with 32-bit bit
 * operators, which would wrap past 2^31. Generating a proof reads the leaf hashes and rehashes
 * the subtrees it needs (O(size) hashing): right for tests and for trees held in memory.
 */

/** A SHA-256 digest: a leaf hash, an interior node hash or a tree root (32 bytes). */
export type Hash = Buffer;

const HASH_BYTES = 32;
const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

function sha256(...parts: Uint8Array[]): Hash {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** RFC 9162 2.1.1: SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Hash {
  return sha256(LEAF_PREFIX, data);
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256(NODE_PREFIX, left, right);
}

/** MTH of these leaf hashes (the empty tree: SHA-256 of the empty string). */
export function rootOf(leaves: readonly Hash[]): Hash {
  return leaves.length === 0 ? sha256() : subtreeRoot(leaves, 0, leaves.length);
}

/**
 * A tree's right border: the roots of its maximal perfect subtrees, left to right (a
 * "compact range" from 0). Enough to append leaves and compute the root without the leaves.
 */
export class CompactRange {
  private constructor(
    private count: number,
    private readonly border: Hash[],
  ) {}

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** Rebuilds from a stored size and border (throws if the count does not match popcount(size)). */
  static of(size: number, hashes: readonly Hash[]): CompactRange {
    if (!isSize(size)) throw new RangeError(`compact range size ${size} is not a safe non-negative integer`);
    const expected = popcount(size);
    if (hashes.length !== expected)
      throw new RangeError(`a compact range of size ${size} has ${expected} hashes, got ${hashes.length}`);
    if (!hashes.every(isHash)) throw new RangeError(`compact range hashes must be ${HASH_BYTES} bytes`);
    return new CompactRange(size, [...hashes]);
  }

  get size(): number {
    return this.count;
  }

  get hashes(): readonly Hash[] {
    return [...this.border];
  }

  append(leaf: Hash): void {
    if (!isHash(leaf)) throw new RangeError(`a leaf hash must be ${HASH_BYTES} bytes`);
    if (!isSize(this.count + 1)) throw new RangeError('the tree is at its maximum size');
    // Like incrementing a binary counter: each trailing 1 bit of the size is a perfect
    // subtree that the new leaf's subtree, as big as it, merges into.
    let merged = leaf;
    for (let s = this.count; s % 2 === 1; s = half(s)) merged = nodeHash(this.border.pop()!, merged);
    this.border.push(merged);
    this.count += 1;
  }

  /** The root of the tree so far (equals rootOf(all leaves appended)). */
  root(): Hash {
    // MTH splits at the largest power of two, which is the leftmost perfect subtree: so the
    // root folds the border from the right.
    if (this.border.length === 0) return sha256();
    return this.border.reduceRight((right, left) => nodeHash(left, right));
  }
}

/**
 * MTH(D[start:end]) of some tree, however it is stored: proofs are built from these
 * subtree hashes alone, so a tree kept as leaves in memory and one kept in a database
 * (ledger/storedTree.ts) share the algorithms below.
 */
export type SubtreeHasher = (start: number, end: number) => Hash;

/** RFC 9162 2.1.3.1: the inclusion proof of leaf `index` in the tree of the first `size` of `leaves`. */
export function inclusionProof(index: number, size: number, leaves: readonly Hash[]): Hash[] {
  checkTree(size, leaves);
  return inclusionProofOf(index, size, (start, end) => subtreeRoot(leaves, start, end));
}

/** The inclusion proof of leaf `index` in a tree of `size` whose subtree hashes `mth` gives. */
export function inclusionProofOf(index: number, size: number, mth: SubtreeHasher): Hash[] {
  if (!isSize(size) || size === 0) throw new RangeError(`no inclusion proof in a tree of size ${size}`);
  if (!isSize(index) || index >= size) throw new RangeError(`leaf index ${index} is not in a tree of size ${size}`);
  return path(index, mth, 0, size);
}

/** RFC 9162 2.1.3.2: true when `proof` proves `leaf` at `index` in a tree of `size` with `root`. */
export function verifyInclusion(index: number, size: number, leaf: Hash, proof: readonly Hash[], root: Hash): boolean {
  if (!isSize(index) || !isSize(size) || index >= size) return false;
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = nodeHash(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 2.1.4.1: the consistency proof between the trees of the first `m` and `n` leaves (0 < m <= n). */
export function consistencyProof(m: number, n: number, leaves: readonly Hash[]): Hash[] {
  checkTree(n, leaves);
  return consistencyProofOf(m, n, (start, end) => subtreeRoot(leaves, start, end));
}

/** The consistency proof between sizes `m` and `n` of a tree whose subtree hashes `mth` gives. */
export function consistencyProofOf(m: number, n: number, mth: SubtreeHasher): Hash[] {
  if (!isSize(m) || !isSize(n) || m === 0 || m > n)
    throw new RangeError(`no consistency proof from size ${m} to size ${n}`);
  return subproof(m, mth, 0, n, true);
}

/**
 * RFC 9162 2.1.4.2: true when `proof` shows the tree (m, rootM) is a prefix of (n, rootN).
 * The RFC leaves out m = n and m = 0. As in Trillian, m = n holds with an empty proof and
 * equal roots, and m = 0 with an empty proof; unlike Trillian, m = 0 also needs rootM to be
 * the empty tree's root (which a checkpoint of size 0 carries).
 */
export function verifyConsistency(m: number, n: number, rootM: Hash, rootN: Hash, proof: readonly Hash[]): boolean {
  if (!isSize(m) || !isSize(n) || m > n) return false;
  if (!isHash(rootM) || !isHash(rootN) || !proof.every(isHash)) return false;
  if (m === n) return proof.length === 0 && rootM.equals(rootN);
  if (m === 0) return proof.length === 0 && rootM.equals(sha256());
  if (proof.length === 0) return false;
  const hashes = isPowerOfTwo(m) ? [rootM, ...proof] : proof;
  let fn = m - 1;
  let sn = n - 1;
  while (isOdd(fn)) [fn, sn] = [half(fn), half(sn)];
  let fr = hashes[0]!;
  let sr = fr;
  for (const c of hashes.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      sr = nodeHash(sr, c);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && fr.equals(rootM) && sr.equals(rootN);
}

/** MTH(D[start:end]), end > start: split at k, the largest power of two smaller than the size. */
function subtreeRoot(leaves: readonly Hash[], start: number, end: number): Hash {
  if (end - start === 1) return leaves[start]!;
  const k = splitPoint(end - start);
  return nodeHash(subtreeRoot(leaves, start, start + k), subtreeRoot(leaves, start + k, end));
}

/** PATH(m, D[start:end]) of RFC 9162 2.1.3.1, from the leaf's sibling up. */
function path(m: number, mth: SubtreeHasher, start: number, end: number): Hash[] {
  if (end - start === 1) return [];
  const k = splitPoint(end - start);
  return m < k
    ? [...path(m, mth, start, start + k), mth(start + k, end)]
    : [...path(m - k, mth, start + k, end), mth(start, start + k)];
}

/** SUBPROOF(m, D[start:end], b) of RFC 9162 2.1.4.1; `complete` is b (the m-tree is the old tree itself). */
function subproof(m: number, mth: SubtreeHasher, start: number, end: number, complete: boolean): Hash[] {
  if (m === end - start) return complete ? [] : [mth(start, end)];
  const k = splitPoint(end - start);
  return m <= k
    ? [...subproof(m, mth, start, start + k, complete), mth(start + k, end)]
    : [...subproof(m - k, mth, start + k, end, false), mth(start, start + k)];
}

function checkTree(size: number, leaves: readonly Hash[]): void {
  if (!isSize(size) || size === 0 || size > leaves.length)
    throw new RangeError(`tree size ${size} is not between 1 and the ${leaves.length} leaves given`);
}

/** The largest power of two smaller than `n` (n > 1): where MTH splits a tree of `n` leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const popcount = (n: number): number => n.toString(2).replaceAll('0', '').length;
export const isPowerOfTwo = (n: number): boolean => popcount(n) === 1;
const isSize = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
const isHash = (h: Hash): boolean => Buffer.isBuffer(h) && h.length === HASH_BYTES;
const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);
