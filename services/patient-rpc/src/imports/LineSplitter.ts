/**
 * One line of an upload: its 1-based number and bytes, or `oversized` with no bytes kept.
 * `bytes` may be a view into the pushed chunk: decode or copy it rather than keep it.
 */
export type SplitLine =
  { line: number; oversized: false; bytes: Buffer } | { line: number; oversized: true; bytes?: undefined };

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines at LF (a CR before it is dropped), whatever the chunk
 * boundaries. A line longer than `maxLineBytes` is reported as oversized and its bytes are
 * discarded as they arrive, so memory stays at most one line limit however long it is.
 */
export class LineSplitter {
  #parts: Buffer[] = [];
  #size = 0;
  #oversized = false;
  #line = 0;

  constructor(readonly maxLineBytes: number) {}

  /** Lines completed so far (the last partial one stays buffered). */
  get linesSeen(): number {
    return this.#line;
  }

  /** Appends every line that `chunk` completes to `out`. */
  push(chunk: Uint8Array, out: SplitLine[]): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < buf.length) {
      const lf = buf.indexOf(LF, start);
      const end = lf < 0 ? buf.length : lf;
      if (lf >= 0 && this.#size === 0 && !this.#oversized && end - start <= this.maxLineBytes + 1) {
        // The whole line is in this chunk: hand out a view, no copy.
        out.push(this.#numbered(buf.subarray(start, end)));
        start = lf + 1;
        continue;
      }
      this.#append(buf.subarray(start, end));
      if (lf < 0) break;
      out.push(this.#take());
      start = lf + 1;
    }
  }

  /** Flushes a last line that has no trailing newline. */
  end(out: SplitLine[]): void {
    if (this.#size > 0 || this.#oversized) out.push(this.#take());
  }

  #append(piece: Buffer): void {
    if (piece.length === 0 || this.#oversized) return;
    // One byte of slack for a CR that may turn out to precede the LF.
    if (this.#size + piece.length > this.maxLineBytes + 1) {
      this.#oversized = true;
      this.#parts = [];
      this.#size = 0;
      return;
    }
    // Copy: the chunk's memory must not be pinned by a short slice of it.
    this.#parts.push(Buffer.from(piece));
    this.#size += piece.length;
  }

  #take(): SplitLine {
    const oversized = this.#oversized;
    const bytes = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#size);
    this.#parts = [];
    this.#size = 0;
    this.#oversized = false;
    if (oversized) {
      this.#line += 1;
      return { line: this.#line, oversized: true };
    }
    return this.#numbered(bytes);
  }

  /** Numbers a complete line, dropping a CR before its LF. */
  #numbered(raw: Buffer): SplitLine {
    this.#line += 1;
    const line = this.#line;
    const bytes = raw.length > 0 && raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
    if (bytes.length > this.maxLineBytes) return { line, oversized: true };
    return { line, oversized: false, bytes };
  }
}
