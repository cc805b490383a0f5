import { describe, expect, it } from 'vitest';
import {
  CompactRange,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from './merkle.js';

const h = (hex: string): Hash => Buffer.from(hex, 'hex');
const hexOf = (hash: Hash): string => hash.toString('hex');

// The reference vectors of Certificate Transparency, as published in
// github.com/transparency-dev/merkle proof/verify_test.go (the same tables Trillian's and
// certificate-transparency-go's merkle tests use) and rfc6962/rfc6962_test.go. Expected
// values are copied from there, never computed with this module.
const DATA = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const LEAVES = DATA.map((hex) => leafHash(h(hex)));
const EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** ROOTS[s - 1] is the root of the first s leaves. */
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
/** The published table counts leaves from 1; `index` here is 0-based. */
const INCLUSION = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  { index: 0, size: 1, proof: [] },
];
const CONSISTENCY = [
  { m: 1, n: 1, proof: [] },
  {
    m: 1,
    n: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    m: 6,
    n: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    m: 2,
    n: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    m: 6,
    n: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];
const SOME_HASH = h('abacaba000000000000000000000000000000000000000000060061e00123456');

/** A copy of `hash` with one bit changed. */
const flipped = (hash: Hash): Hash => {
  const copy = Buffer.from(hash);
  copy[0]! ^= 8;
  return copy;
};
const syntheticLeaves = (count: number): Hash[] =>
  Array.from({ length: count }, (_, i) => leafHash(Buffer.from(`record ${i}`)));

describe('RFC 6962 hashing', () => {
  it('matches the published leaf, node and empty-tree hashes', () => {
    expect(hexOf(rootOf([]))).toBe(EMPTY_ROOT);
    expect(hexOf(leafHash(Buffer.alloc(0)))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(hexOf(leafHash(Buffer.from('L123456')))).toBe(
      '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56',
    );
    expect(hexOf(nodeHash(Buffer.from('N123'), Buffer.from('N456')))).toBe(
      'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
    );
  });

  it('gives the published root of every prefix of the reference leaves', () => {
    for (let size = 1; size <= 8; size++)
      expect(hexOf(rootOf(LEAVES.slice(0, size))), `size ${size}`).toBe(ROOTS[size - 1]);
  });
});

describe('inclusion proofs', () => {
  it.each(INCLUSION)(
    'generates and verifies the published proof of leaf $index in size $size',
    ({ index, size, proof }) => {
      const root = h(ROOTS[size - 1]!);
      expect(inclusionProof(index, size, LEAVES).map(hexOf)).toEqual(proof);
      expect(verifyInclusion(index, size, LEAVES[index]!, proof.map(h), root)).toBe(true);
    },
  );

  it.each(INCLUSION.filter((v) => v.proof.length > 0))(
    'rejects the corruptions of leaf $index in size $size that transparency-dev/merkle probes',
    ({ index, size, proof: hexProof }) => {
      const proof = hexProof.map(h);
      const root = h(ROOTS[size - 1]!);
      const leaf = LEAVES[index]!;
      const probes: [number, number, Hash, Hash[], Hash][] = [
        [index - 1, size, leaf, proof, root],
        [index + 1, size, leaf, proof, root],
        [index ^ 2, size, leaf, proof, root],
        [index, size * 2, leaf, proof, root],
        [index, Math.floor(size / 2), leaf, proof, root],
        [index, size, leafHash(Buffer.from('WrongLeaf')), proof, root],
        [index, size, leaf, proof, h(EMPTY_ROOT)],
        [index, size, leaf, proof, SOME_HASH],
        [index, size, leaf, [...proof, root], root],
        [index, size, leaf, [root, ...proof], root],
        [index, size, leaf, proof.slice(0, -1), root],
        [index, size, leaf, [proof[0]!, SOME_HASH, ...proof.slice(1)], root],
        ...proof.map((_, i): [number, number, Hash, Hash[], Hash] => [
          index,
          size,
          leaf,
          proof.with(i, flipped(proof[i]!)),
          root,
        ]),
      ];
      for (const [i, s, l, p, r] of probes) expect(verifyInclusion(i, s, l, p, r)).toBe(false);
    },
  );

  it('verifies every leaf of every tree up to 64 leaves, and nothing else', () => {
    const leaves = syntheticLeaves(64);
    const wrong: string[] = []; // each check that gave the wrong answer
    const check = (want: boolean, what: string, ...args: Parameters<typeof verifyInclusion>) => {
      if (verifyInclusion(...args) !== want) wrong.push(what);
    };
    for (let size = 1; size <= 64; size++) {
      const root = rootOf(leaves.slice(0, size));
      for (let index = 0; index < size; index++) {
        const at = `leaf ${index} of ${size}`;
        const leaf = leaves[index]!;
        const proof = inclusionProof(index, size, leaves);
        check(true, at, index, size, leaf, proof, root);
        check(false, `${at}, wrong leaf`, index, size, flipped(leaf), proof, root);
        check(false, `${at}, wrong root`, index, size, leaf, proof, flipped(root));
        check(false, `${at}, extra hash`, index, size, leaf, [...proof, SOME_HASH], root);
        if (proof.length > 0) check(false, `${at}, truncated`, index, size, leaf, proof.slice(0, -1), root);
        // The path fixes the leaf's position: no other index verifies (every one up to 32
        // leaves; past that, the neighbours and the mirror image, to keep the test fast).
        const others =
          size <= 32 ? Array.from({ length: size + 1 }, (_, i) => i) : [index - 1, index + 1, size - 1 - index];
        for (const other of others)
          if (other !== index) check(false, `${at}, as leaf ${other}`, other, size, leaf, proof, root);
        // A size whose tree shape differs fails. (Not every other size does: leaf 0 of 3
        // and of 4 have paths of the same shape, so there the root alone decides.)
        check(false, `${at}, size * 2`, index, size * 2, leaf, proof, root);
        if (index === size - 1 && size > 1) check(false, `${at}, size + 1`, index, size + 1, leaf, proof, root);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('rejects out-of-range arguments and hashes of the wrong length', () => {
    const root = h(ROOTS[0]!);
    expect(verifyInclusion(0, 0, LEAVES[0]!, [], h(EMPTY_ROOT))).toBe(false);
    expect(verifyInclusion(1, 1, LEAVES[0]!, [], root)).toBe(false);
    expect(verifyInclusion(-1, 1, LEAVES[0]!, [], root)).toBe(false);
    expect(verifyInclusion(0, 1, Buffer.alloc(0), [], Buffer.alloc(0))).toBe(false);
    expect(() => inclusionProof(8, 8, LEAVES)).toThrow(RangeError);
    expect(() => inclusionProof(0, 9, LEAVES)).toThrow(RangeError);
    expect(() => inclusionProof(0, 0, LEAVES)).toThrow(RangeError);
  });

  it('verifies past 2^32 leaves (no 32-bit arithmetic)', () => {
    // The last leaf of a tree of 2^40 + 1 leaves: its proof is the root of the first 2^40.
    const left = SOME_HASH;
    const leaf = LEAVES[3]!;
    const size = 2 ** 40 + 1;
    expect(verifyInclusion(size - 1, size, leaf, [left], nodeHash(left, leaf))).toBe(true);
    expect(verifyInclusion(size - 2, size, leaf, [left], nodeHash(left, leaf))).toBe(false);
    expect(verifyInclusion(Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER, leaf, [], leaf)).toBe(false);
  });
});

describe('consistency proofs', () => {
  it.each(CONSISTENCY)('generates and verifies the published proof from $m to $n', ({ m, n, proof }) => {
    const [rootM, rootN] = [h(ROOTS[m - 1]!), h(ROOTS[n - 1]!)];
    expect(consistencyProof(m, n, LEAVES).map(hexOf)).toEqual(proof);
    expect(verifyConsistency(m, n, rootM, rootN, proof.map(h))).toBe(true);
  });

  it.each(CONSISTENCY.filter((v) => v.proof.length > 0))(
    'rejects the corruptions from $m to $n that transparency-dev/merkle probes',
    ({ m, n, proof: hexProof }) => {
      const proof = hexProof.map(h);
      const [rootM, rootN] = [h(ROOTS[m - 1]!), h(ROOTS[n - 1]!)];
      const probes: [number, number, Hash, Hash, Hash[]][] = [
        [m - 1, n, rootM, rootN, proof],
        [m + 1, n, rootM, rootN, proof],
        [m ^ 2, n, rootM, rootN, proof],
        [m, n * 2, rootM, rootN, proof],
        [m, Math.floor(n / 2), rootM, rootN, proof],
        [m, n, SOME_HASH, rootN, proof],
        [m, n, rootM, SOME_HASH, proof],
        [m, n, rootN, rootM, proof],
        [m, n, rootM, rootN, []],
        [m, n, rootM, rootN, [...proof, rootM]],
        [m, n, rootM, rootN, [...proof, rootN]],
        [m, n, rootM, rootN, [rootM, ...proof]],
        [m, n, rootM, rootN, [rootN, ...proof]],
        [m, n, rootM, rootN, [proof[0]!, ...proof]],
        [m, n, rootM, rootN, proof.slice(0, -1)],
        ...proof.map((_, i): [number, number, Hash, Hash, Hash[]] => [
          m,
          n,
          rootM,
          rootN,
          proof.with(i, flipped(proof[i]!)),
        ]),
      ];
      for (const [pm, pn, rm, rn, p] of probes) expect(verifyConsistency(pm, pn, rm, rn, p)).toBe(false);
    },
  );

  it('proves every prefix of every tree up to 40 leaves, and fails with any other root', () => {
    const leaves = syntheticLeaves(40);
    const roots = Array.from({ length: 41 }, (_, size) => rootOf(leaves.slice(0, size)));
    for (let n = 1; n <= 40; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(m, n, leaves);
        expect(verifyConsistency(m, n, roots[m]!, roots[n]!, proof), `${m} -> ${n}`).toBe(true);
        expect(verifyConsistency(m, n, flipped(roots[m]!), roots[n]!, proof)).toBe(false);
        expect(verifyConsistency(m, n, roots[m]!, flipped(roots[n]!), proof)).toBe(false);
        expect(verifyConsistency(m, n, roots[m]!, roots[n]!, [...proof, SOME_HASH])).toBe(false);
        if (proof.length > 0) expect(verifyConsistency(m, n, roots[m]!, roots[n]!, proof.slice(0, -1))).toBe(false);
      }
    }
  });

  it('treats equal sizes and the empty tree as the edge cases they are', () => {
    const [root1, root2] = [h(ROOTS[0]!), h(ROOTS[1]!)];
    expect(verifyConsistency(1, 1, root1, root1, [])).toBe(true);
    expect(verifyConsistency(1, 1, root1, root2, [])).toBe(false);
    expect(verifyConsistency(1, 1, root1, root1, [h(EMPTY_ROOT)])).toBe(false);
    expect(verifyConsistency(0, 2, h(EMPTY_ROOT), root2, [])).toBe(true);
    expect(verifyConsistency(0, 2, root1, root2, [])).toBe(false);
    expect(verifyConsistency(0, 2, h(EMPTY_ROOT), root2, [root2])).toBe(false);
    expect(verifyConsistency(2, 1, root2, root1, [])).toBe(false);
    expect(verifyConsistency(1, 2, root1, root2, [])).toBe(false);
    expect(() => consistencyProof(0, 2, LEAVES)).toThrow(RangeError);
    expect(() => consistencyProof(3, 2, LEAVES)).toThrow(RangeError);
    expect(() => consistencyProof(1, 9, LEAVES)).toThrow(RangeError);
  });

  it('verifies past 2^32 leaves (no 32-bit arithmetic)', () => {
    // From 2^40 leaves to one more: the proof is the new leaf, and the new root is H(old root, leaf).
    const oldRoot = SOME_HASH;
    const leaf = LEAVES[3]!;
    const m = 2 ** 40;
    expect(verifyConsistency(m, m + 1, oldRoot, nodeHash(oldRoot, leaf), [leaf])).toBe(true);
    // 2^41 + 1 leaves split as 2^40 + 2^40 + 1: the proof needs two hashes, not one.
    expect(verifyConsistency(m, 2 * m + 1, oldRoot, nodeHash(oldRoot, leaf), [leaf])).toBe(false);
  });
});

describe('CompactRange', () => {
  it('gives the published roots as the reference leaves are appended', () => {
    const range = CompactRange.empty();
    expect(hexOf(range.root())).toBe(EMPTY_ROOT);
    for (const [i, leaf] of LEAVES.entries()) {
      range.append(leaf);
      expect(hexOf(range.root())).toBe(ROOTS[i]);
    }
    expect(range.hashes.map(hexOf)).toEqual([ROOTS[7]]);
  });

  it('equals rootOf at every size, holds popcount(size) hashes, and round-trips through of()', () => {
    const leaves = syntheticLeaves(70);
    const range = CompactRange.empty();
    for (let size = 1; size <= leaves.length; size++) {
      range.append(leaves[size - 1]!);
      expect(range.size).toBe(size);
      expect(range.root().equals(rootOf(leaves.slice(0, size))), `size ${size}`).toBe(true);
      expect(range.hashes).toHaveLength(size.toString(2).replaceAll('0', '').length);
      const rebuilt = CompactRange.of(range.size, range.hashes);
      expect(rebuilt.root().equals(range.root())).toBe(true);
      if (size < leaves.length) {
        rebuilt.append(leaves[size]!);
        expect(rebuilt.root().equals(rootOf(leaves.slice(0, size + 1)))).toBe(true);
      }
    }
  });

  it('does not share its border with the caller', () => {
    const range = CompactRange.empty();
    range.append(LEAVES[0]!);
    (range.hashes as Hash[]).pop();
    expect(range.hashes).toHaveLength(1);
  });

  it('rejects a border that does not fit its size, and a bad leaf', () => {
    expect(() => CompactRange.of(3, [LEAVES[0]!])).toThrow(/size 3 has 2 hashes, got 1/);
    expect(() => CompactRange.of(4, [LEAVES[0]!, LEAVES[1]!])).toThrow(RangeError);
    expect(() => CompactRange.of(1, [Buffer.alloc(31)])).toThrow(RangeError);
    expect(() => CompactRange.of(-1, [])).toThrow(RangeError);
    expect(() => CompactRange.of(1.5, [])).toThrow(RangeError);
    expect(() => CompactRange.empty().append(Buffer.alloc(0))).toThrow(RangeError);
  });

  it('works at sizes past 2^32 and stops at 2^53 - 1', () => {
    const max = Number.MAX_SAFE_INTEGER; // 53 one bits: 53 perfect subtrees
    const border = Array.from({ length: 53 }, (_, i) => LEAVES[i % 8]!);
    const range = CompactRange.of(max, border);
    expect(range.root().equals(border.reduceRight((right, left) => nodeHash(left, right)))).toBe(true);
    expect(() => range.append(LEAVES[0]!)).toThrow(/maximum size/);
    const big = CompactRange.of(2 ** 40, [SOME_HASH]);
    big.append(LEAVES[0]!);
    expect(big.size).toBe(2 ** 40 + 1);
    expect(big.root().equals(nodeHash(SOME_HASH, LEAVES[0]!))).toBe(true);
  });
});
