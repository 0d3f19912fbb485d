// Encoder/decoder for the init pipe protocol (see protocol.ts for the format).
import { Attr, HEADER_LEN } from './protocol.ts';

export type Arg =
  | { t: 'str'; v: string }
  | { t: 'u64'; v: bigint | number }
  | { t: 'bytes'; v: Buffer }
  | { t: 'strv'; v: string[] };

const MAX_ATTR = 0xffff;

/** Builds a message from attributes, growing one buffer. */
export class Writer {
  private buf = Buffer.allocUnsafe(4096);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Start an attribute; returns its offset for end(). */
  begin(type: number): number {
    this.ensure(4);
    const at = this.len;
    this.buf.writeUInt16LE(type, at + 2);
    this.len += 4;
    return at;
  }

  end(at: number): void {
    const n = this.len - at;
    if (n > MAX_ATTR) throw new RangeError(`attribute too large (${n} bytes; the limit is ${MAX_ATTR})`);
    this.buf.writeUInt16LE(n, at);
    const pad = (4 - (n & 3)) & 3;
    this.ensure(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }

  raw(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.len);
    this.len += 2;
  }

  str(type: number, s: string): void {
    const at = this.begin(type);
    const n = Buffer.byteLength(s);
    this.ensure(n + 1);
    this.buf.write(s, this.len);
    this.buf[this.len + n] = 0;
    this.len += n + 1;
    this.end(at);
  }

  u64(type: number, v: bigint | number): void {
    const at = this.begin(type);
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), this.len);
    this.len += 8;
    this.end(at);
  }

  u32(type: number, v: number): void {
    const at = this.begin(type);
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
    this.end(at);
  }

  bytes(type: number, b: Buffer): void {
    const at = this.begin(type);
    this.raw(b);
    this.end(at);
  }

  arg(a: Arg): void {
    switch (a.t) {
      case 'str':
        return this.str(Attr.STR, a.v);
      case 'u64':
        return this.u64(Attr.U64, a.v);
      case 'bytes':
        return this.bytes(Attr.BYTES, a.v);
      case 'strv': {
        const at = this.begin(Attr.STRV);
        for (const s of a.v) this.str(Attr.STR, s);
        return this.end(at);
      }
    }
  }

  /** The finished message with its 16-byte header. */
  message(type: number): Buffer {
    const out = Buffer.alloc(HEADER_LEN + this.len);
    out.writeUInt32LE(out.length, 0);
    out.writeUInt16LE(type, 4);
    this.buf.copy(out, HEADER_LEN, 0, this.len);
    return out;
  }
}

export interface RawAttr {
  type: number;
  data: Buffer;
}

export function parseAttrs(b: Buffer): RawAttr[] {
  const out: RawAttr[] = [];
  let off = 0;
  while (off + 4 <= b.length) {
    const len = b.readUInt16LE(off);
    const type = b.readUInt16LE(off + 2);
    if (len < 4 || off + len > b.length) throw new Error('malformed attribute from init');
    out.push({ type, data: b.subarray(off + 4, off + len) });
    off += (len + 3) & ~3;
  }
  return out;
}

export interface Message {
  type: number;
  attrs: RawAttr[];
}

/** Splits a byte stream into messages; feed it chunks, it yields whole ones. */
export class Reader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Message[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Message[] = [];
    while (this.pending.length >= HEADER_LEN) {
      const len = this.pending.readUInt32LE(0);
      if (len < HEADER_LEN) throw new Error('malformed message from init');
      if (this.pending.length < len) break;
      out.push({ type: this.pending.readUInt16LE(4), attrs: parseAttrs(this.pending.subarray(HEADER_LEN, len)) });
      this.pending = this.pending.subarray(len);
    }
    return out;
  }
}

export const attrU32 = (m: Message, type: number): number | undefined => {
  const a = m.attrs.find((x) => x.type === type);
  return a ? a.data.readUInt32LE(0) : undefined;
};
export const attrI32 = (m: Message, type: number): number | undefined => {
  const a = m.attrs.find((x) => x.type === type);
  return a ? a.data.readInt32LE(0) : undefined;
};
export const attrStr = (m: Message, type: number): string | undefined => {
  const a = m.attrs.find((x) => x.type === type);
  if (!a) return undefined;
  const z = a.data.indexOf(0);
  return a.data.toString('utf8', 0, z < 0 ? a.data.length : z);
};
