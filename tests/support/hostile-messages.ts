/**
 * A seeded mix of hostile signaling frames: invalid JSON, binary and oversize frames, valid JSON of
 * the wrong shape, unknown types, well-formed requests in the wrong state, and real mediasoup
 * requests (transport connect, produce, transports) with mutated fields. Each frame says what the
 * server must answer: a response with the frame's id, an `error` push (no usable id), or a close.
 * The same seed gives the same frames, so a failing run can be replayed.
 */

/** What the server owes for a frame. */
export type HostileExpectation = { reply: 'response'; id: number } | { reply: 'error' } | { reply: 'close'; code: number };

export const HOSTILE_KINDS = [
  'bad_json',
  'binary',
  'oversize',
  'wrong_types',
  'bad_id',
  'unknown_type',
  'wrong_state',
  'mutated_connect',
  'mutated_produce',
  'mutated_transports',
  'flood',
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

export interface HostileFrame {
  kind: HostileKind;
  /** Frames to send back to back (several only for `flood`). */
  data: (string | Buffer)[];
  expect: HostileExpectation;
}

/** How often each kind comes up (relative weights). Oversize frames and floods each cost a connection. */
const WEIGHTS: Readonly<Record<HostileKind, number>> = {
  bad_json: 10,
  binary: 6,
  oversize: 0.4,
  wrong_types: 14,
  bad_id: 6,
  unknown_type: 6,
  wrong_state: 14,
  mutated_connect: 14,
  mutated_produce: 18,
  mutated_transports: 6,
  flood: 0.2,
};

export interface HostileOptions {
  /** The server's maxPayload: oversize frames are larger, every other frame is kept below it. */
  maxPayloadBytes: number;
  /** The server's message burst: a flood sends more than it plus the flood guard's count. */
  messageBurst: number;
  /** The router's RTP capabilities (from media.capabilities), the base of mutated transports requests. */
  rtpCapabilities: Record<string, unknown>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A valid DTLS connect of a browser (the fingerprint is any well-formed SHA-256). */
export function validDtlsParameters(): { [key: string]: Json } {
  const value = Array.from({ length: 32 }, (_, i) => ((i * 37) & 0xff).toString(16).padStart(2, '0').toUpperCase()).join(':');
  return { role: 'client', fingerprints: [{ algorithm: 'sha-256', value }] };
}

/** Valid rtpParameters of a browser's VP8 or Opus track. */
export function validRtpParameters(kind: 'audio' | 'video', ssrc: number): { [key: string]: Json } {
  const codec: { [key: string]: Json } =
    kind === 'video'
      ? {
          mimeType: 'video/VP8',
          payloadType: 96,
          clockRate: 90000,
          parameters: {},
          rtcpFeedback: [
            { type: 'nack', parameter: '' },
            { type: 'nack', parameter: 'pli' },
          ],
        }
      : { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 }, rtcpFeedback: [] };
  return {
    mid: kind === 'video' ? '1' : '0',
    codecs: [codec],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1, encrypt: false, parameters: {} }],
    encodings: [{ ssrc }],
    rtcp: { cname: 'hostile', reducedSize: true },
  };
}

/** A generator of hostile frames; ids are unique per generator (one per connection). */
export class HostileMessages {
  readonly #random: () => number;
  readonly #options: HostileOptions;
  readonly #total: number;
  #nextId = 1;

  constructor(random: () => number, options: HostileOptions) {
    this.#random = random;
    this.#options = options;
    this.#total = Object.values(WEIGHTS).reduce((sum, w) => sum + w, 0);
  }

  /** A fresh request id. */
  id(): number {
    return this.#nextId++;
  }

  next(): HostileFrame {
    return this.frame(this.#pickKind());
  }

  frame(kind: HostileKind): HostileFrame {
    switch (kind) {
      case 'bad_json':
        return { kind, data: [this.#badJson()], expect: { reply: 'error' } };
      case 'binary':
        return { kind, data: [Buffer.from(Array.from({ length: 1 + this.#int(64) }, () => this.#int(256)))], expect: { reply: 'error' } };
      case 'oversize':
        return {
          kind,
          data: [JSON.stringify({ type: 'chat', id: this.id(), text: 'x'.repeat(this.#options.maxPayloadBytes + this.#int(4096)) })],
          expect: { reply: 'close', code: 1009 },
        };
      case 'wrong_types':
        return this.#request(kind, this.#wrongTypes());
      case 'bad_id': {
        const badIds: Json[] = [-1, 1.5, '7', null, [], {}, -1e21, true];
        const message = { ...this.#wrongState(), id: this.#pick(badIds) };
        return { kind, data: [JSON.stringify(message)], expect: { reply: 'error' } };
      }
      case 'unknown_type':
        return this.#request(kind, { type: this.#pick(['teleport', 'media.consume', 'START', '', 'constructor', '__proto__', 'x'.repeat(300)]) });
      case 'wrong_state':
        return this.#request(kind, this.#wrongState());
      case 'mutated_connect':
        return this.#request(kind, { type: 'media.connect', direction: this.#pick(['send', 'recv']), dtlsParameters: this.#mutate(validDtlsParameters()) });
      case 'mutated_produce': {
        const mediaKind = this.#pick(['audio', 'video'] as const);
        return this.#request(kind, {
          type: 'media.produce',
          kind: mediaKind,
          rtpParameters: this.#mutate(validRtpParameters(mediaKind, 1000 + this.#int(1e6))),
        });
      }
      case 'mutated_transports':
        return this.#request(kind, {
          type: 'media.transports',
          rtpCapabilities: this.#mutate(structuredClone(this.#options.rtpCapabilities) as { [key: string]: Json }),
        });
      case 'flood': {
        const count = this.#options.messageBurst + 40;
        const data = Array.from({ length: count }, () => JSON.stringify({ type: 'typing', id: this.id(), typing: true }));
        return { kind, data, expect: { reply: 'close', code: 4001 } };
      }
    }
  }

  #request(kind: HostileKind, message: { [key: string]: Json }): HostileFrame {
    const id = this.id();
    const data = this.#fit(JSON.stringify({ ...message, id }), id);
    return { kind, data: [data], expect: { reply: 'response', id } };
  }

  /** Keeps a frame meant to be answered under maxPayload (a mutation may have made it too long). */
  #fit(data: string, id: number): string {
    if (Buffer.byteLength(data) < this.#options.maxPayloadBytes) return data;
    return JSON.stringify({ type: 'media.connect', id, direction: 'send', dtlsParameters: { role: 'x'.repeat(this.#options.maxPayloadBytes / 2) } });
  }

  #badJson(): string {
    const valid = JSON.stringify({ type: 'chat', id: this.id(), text: 'hello' });
    return this.#pick([
      () => valid.slice(0, this.#int(valid.length)),
      () => valid.replace(/"/g, "'"),
      () => `${valid},`,
      () => '',
      () => '\u0000\uffff',
      () => '['.repeat(2000),
      () => `{"type":"chat","id":${this.#int(100)},"text":"\\u12"}`,
      () => String.fromCharCode(...Array.from({ length: 40 }, () => 33 + this.#int(90))),
      () => 'undefined',
      () => 'NaN',
    ])();
  }

  #wrongTypes(): { [key: string]: Json } {
    return this.#pick<() => { [key: string]: Json }>([
      () => ({ type: 'chat', text: this.#int(1000) }),
      () => ({ type: 'chat', text: '' }),
      () => ({ type: 'chat', text: 'x'.repeat(501) }),
      () => ({ type: 'start', mode: 'audio', interests: [], countries: [] }),
      () => ({ type: 'start', mode: 'text', interests: 'music', countries: [] }),
      () => ({ type: 'start', mode: 'text', interests: Array.from({ length: 50 }, () => 'a'), countries: [] }),
      () => ({ type: 'start', mode: 'text', interests: [], countries: ['usa', 12] }),
      () => ({ type: 'typing', typing: 'yes' }),
      () => ({ type: 'report', reason: 'boredom' }),
      () => ({ type: 'media.connect', direction: 'sideways', dtlsParameters: {} }),
      () => ({ type: 'media.connect', direction: 'send', dtlsParameters: [] }),
      () => ({ type: 'media.produce', kind: 'screen', rtpParameters: {} }),
      () => ({ type: 'media.produce', kind: 'video', rtpParameters: 'vp8' }),
      () => ({ type: 'media.transports', rtpCapabilities: null }),
      () => ({ type: 'media.pause', kind: 'video', paused: 0 }),
      () => ({ type: 'media.ready', consumerIds: ['a', 'b', 'c', 'd', 'e'] }),
      () => ({ type: 'media.ready', consumerIds: ['x'.repeat(65)] }),
      () => ({ type: 12 }),
      () => ({}),
    ])();
  }

  /** Well-formed requests a chatter that never starts (or was never paired) is never allowed to make. */
  #wrongState(): { [key: string]: Json } {
    return this.#pick<() => { [key: string]: Json }>([
      () => ({ type: 'chat', text: 'hello?' }),
      () => ({ type: 'typing', typing: true }),
      () => ({ type: 'next' }),
      () => ({ type: 'stop' }),
      () => ({ type: 'media.ready', consumerIds: [this.#uuid()] }),
      () => ({ type: 'report', reason: 'spam' }),
    ])();
  }

  /** One to three mutations of random places in a copy of `value`. */
  #mutate(value: { [key: string]: Json }): { [key: string]: Json } {
    const copy = structuredClone(value);
    const times = 1 + this.#int(3);
    for (let i = 0; i < times; i++) this.#mutateOnce(copy);
    return copy;
  }

  #mutateOnce(root: { [key: string]: Json }): void {
    // Walk down to a random container, then change one of its slots.
    let container: Json[] | { [key: string]: Json } = root;
    for (let depth = 0; depth < 4; depth++) {
      const children: (Json[] | { [key: string]: Json })[] = Object.values(container).filter(
        (v): v is Json[] | { [key: string]: Json } => typeof v === 'object' && v !== null,
      );
      if (children.length === 0 || this.#random() < 0.3) break;
      container = this.#pick(children);
    }
    const keys = Object.keys(container);
    const key = keys.length > 0 && this.#random() < 0.85 ? this.#pick(keys) : this.#pick(['codecs', 'ssrc', 'id', 'fingerprints', 'rtx', '__proto__']);
    const slot = container as { [key: string]: Json };
    if (this.#random() < 0.15) {
      delete slot[key];
      return;
    }
    slot[key] = this.#hostileValue();
  }

  #hostileValue(): Json {
    return this.#pick<() => Json>([
      () => -1,
      () => -this.#int(2 ** 31),
      () => 2 ** 32 + this.#int(1000),
      () => Number.MAX_SAFE_INTEGER,
      () => 1e308,
      () => -0,
      () => 0.5,
      () => '',
      () => 'x'.repeat(100 + this.#int(6000)),
      () => this.#uuid(),
      () => 'sha-256',
      () => 'ZZ:'.repeat(31) + 'ZZ',
      () => null,
      () => true,
      () => [],
      () => ({}),
      () => [{}],
      () => this.#nested(50 + this.#int(700)),
      () => Array.from({ length: 200 }, (_, i) => i),
      () => ({ mimeType: 'video/H265', payloadType: 300, clockRate: -1 }),
      () => ({ algorithm: 'md5', value: 'not a fingerprint' }),
    ])();
  }

  #nested(depth: number): Json {
    let value: Json = { end: true };
    for (let i = 0; i < depth; i++) value = this.#random() < 0.5 ? { a: value } : [value];
    return value;
  }

  #uuid(): string {
    const hex = (n: number): string => Array.from({ length: n }, () => this.#int(16).toString(16)).join('');
    return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  }

  #pickKind(): HostileKind {
    let roll = this.#random() * this.#total;
    for (const kind of HOSTILE_KINDS) {
      roll -= WEIGHTS[kind];
      if (roll < 0) return kind;
    }
    return 'bad_json';
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#int(items.length)] as T;
  }

  #int(below: number): number {
    return Math.floor(this.#random() * below);
  }
}
