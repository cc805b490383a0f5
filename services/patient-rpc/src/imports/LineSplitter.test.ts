import { describe, expect, it } from 'vitest';
import { LineSplitter, type SplitLine } from './LineSplitter.js';

function split(chunks: Array<string | Buffer>, max = 16): Array<[number, string | null]> {
  const splitter = new LineSplitter(max);
  const out: SplitLine[] = [];
  for (const c of chunks) splitter.push(typeof c === 'string' ? Buffer.from(c) : c, out);
  splitter.end(out);
  return out.map((l) => [l.line, l.oversized ? null : l.bytes.toString()]);
}

describe('LineSplitter', () => {
  it('splits lines within and across chunks', () => {
    expect(split(['a\nb', 'c\n', 'd', '', 'e\nf'])).toEqual([
      [1, 'a'],
      [2, 'bc'],
      [3, 'de'],
      [4, 'f'],
    ]);
  });

  it('splits at every byte boundary the same way', () => {
    const text = '{"a":1}\r\n\n{"b":22}\nlast';
    for (let cut = 0; cut <= text.length; cut++)
      expect(split([text.slice(0, cut), text.slice(cut)])).toEqual([
        [1, '{"a":1}'],
        [2, ''],
        [3, '{"b":22}'],
        [4, 'last'],
      ]);
  });

  it('drops the CR of CRLF, also when CR and LF arrive in different chunks', () => {
    expect(split(['x\r', '\ny\r\n'])).toEqual([
      [1, 'x'],
      [2, 'y'],
    ]);
  });

  it('accepts a line of exactly the limit, with or without CR', () => {
    const at = 'x'.repeat(16);
    expect(split([`${at}\r\n${at}\n`])).toEqual([
      [1, at],
      [2, at],
    ]);
  });

  it('reports an oversized line without keeping its bytes and carries on', () => {
    const splitter = new LineSplitter(16);
    const out: SplitLine[] = [];
    splitter.push(Buffer.from('ok\n' + 'y'.repeat(10)), out);
    for (let i = 0; i < 1000; i++) splitter.push(Buffer.alloc(64 * 1024, 0x7a), out);
    splitter.push(Buffer.from('tail\nnext\n'), out);
    expect(out.map((l) => [l.line, l.oversized ? null : l.bytes.toString()])).toEqual([
      [1, 'ok'],
      [2, null],
      [3, 'next'],
    ]);
  });

  it('reports a 17-byte line as oversized even when split into single bytes', () => {
    expect(split([...'a'.repeat(17)].concat('\nb'))).toEqual([
      [1, null],
      [2, 'b'],
    ]);
  });

  it('yields nothing for an empty stream and a final line without newline', () => {
    expect(split([])).toEqual([]);
    expect(split(['', 'z'])).toEqual([[1, 'z']]);
  });
});
