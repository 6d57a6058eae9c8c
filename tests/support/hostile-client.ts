/**
 * Drives hostile frames (./hostile-messages.ts) at a server over one WebSocket after another and
 * keeps the books: every frame's owed reply is tracked until it comes, so a reply that never comes
 * is reported with the frame that asked for it. Each connection first sets up media transports (a
 * real capabilities + transports exchange) so that mutated connect and produce requests reach
 * mediasoup. Sends are paced below the server's rate limit (a `flood` frame is the exception).
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import { closeReasonOf, type ServerMessage } from '../../src/protocol/messages.js';
import { HostileMessages, type HostileFrame, type HostileKind, type HostileOptions } from './hostile-messages.js';

export interface HostileRunOptions {
  url: string;
  /** Hostile frames to send in all, over as many connections as it takes. */
  frames: number;
  random: () => number;
  generator: Omit<HostileOptions, 'rtpCapabilities'>;
  /** Frames per second on one connection (keep it below the server's wsMessagesPerSecond). */
  ratePerSecond: number;
  /** Owed replies outstanding at most at once. */
  window: number;
  /** How long an owed reply may take before it counts as lost. */
  replyTimeoutMs: number;
}

export interface LostReply {
  kind: HostileKind;
  frame: string;
}

export interface HostileTally {
  frames: number;
  byKind: Partial<Record<HostileKind, number>>;
  okByKind: Partial<Record<HostileKind, number>>;
  /** Error codes of responses (with an id) and of `error` pushes. */
  errorCodes: Record<string, number>;
  /** Closes, by close reason (ours) or WebSocket code. */
  closes: Record<string, number>;
  connections: number;
  lost: LostReply[];
  /** Closes the frames sent did not ask for, and replies to nothing that was asked. */
  unexpected: string[];
}

export function emptyTally(): HostileTally {
  return { frames: 0, byKind: {}, okByKind: {}, errorCodes: {}, closes: {}, connections: 0, lost: [], unexpected: [] };
}

const add = <K extends string>(counts: Partial<Record<K, number>>, key: K, by = 1): void => {
  counts[key] = (counts[key] ?? 0) + by;
};

/** One connection's books: what it still owes, and a way to wait for that to change. */
class Books {
  readonly ws: WebSocket;
  readonly #tally: HostileTally;
  readonly owed = new Map<number, HostileFrame>();
  readonly owedErrors: HostileFrame[] = [];
  readonly preamble = new Map<number, (message: Extract<ServerMessage, { type: 'response' }>) => void>();
  expectingClose: number | null = null;
  closed = false;
  #wake: (() => void)[] = [];

  constructor(ws: WebSocket, tally: HostileTally) {
    this.ws = ws;
    this.#tally = tally;
    ws.on('message', (data) => this.#onMessage(JSON.parse((data as Buffer).toString('utf8')) as ServerMessage));
    ws.on('close', (code) => {
      this.closed = true;
      add(this.#tally.closes, closeReasonOf(code) ?? String(code));
      if (code !== this.expectingClose && code !== 1000)
        this.#tally.unexpected.push(`close ${code} with ${this.owed.size + this.owedErrors.length} replies owed`);
      if (this.expectingClose === null) this.#loseAll();
      this.notify();
    });
    ws.on('error', () => undefined);
  }

  get outstanding(): number {
    return this.owed.size + this.owedErrors.length;
  }

  notify(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }

  /** Resolves when `done()` holds, or false after `timeoutMs` (or when the socket closed first). */
  async until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.closed || Date.now() >= deadline) return done();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  #loseAll(): void {
    for (const frame of [...this.owed.values(), ...this.owedErrors]) this.#tally.lost.push({ kind: frame.kind, frame: preview(frame) });
    this.owed.clear();
    this.owedErrors.length = 0;
  }

  /** Owed replies still missing count as lost. */
  giveUp(): void {
    this.#loseAll();
  }

  #onMessage(message: ServerMessage): void {
    if (message.type === 'response') {
      const preamble = this.preamble.get(message.id);
      if (preamble) {
        this.preamble.delete(message.id);
        preamble(message);
        return;
      }
      const frame = this.owed.get(message.id);
      if (!frame) {
        // A flood's frames are owed nothing once the close is on its way; anything else is a stray.
        if (this.expectingClose === null) this.#tally.unexpected.push(`response to id ${message.id}, which was not asked`);
        return;
      }
      this.owed.delete(message.id);
      if (message.ok) add(this.#tally.okByKind, frame.kind);
      else add(this.#tally.errorCodes, message.error.code);
    } else if (message.type === 'error') {
      add(this.#tally.errorCodes, message.error.code);
      if (!this.owedErrors.shift() && this.expectingClose === null) this.#tally.unexpected.push(`error push ${message.error.code} nobody asked for`);
    }
    this.notify();
  }
}

function preview(frame: HostileFrame): string {
  const first = frame.data[0] ?? '';
  return (typeof first === 'string' ? first : `<binary ${first.length} bytes>`).slice(0, 300);
}

async function request(books: Books, id: number, message: Record<string, unknown>, timeoutMs: number): Promise<Extract<ServerMessage, { type: 'response' }>> {
  const reply = new Promise<Extract<ServerMessage, { type: 'response' }>>((resolve) => books.preamble.set(id, resolve));
  books.ws.send(JSON.stringify({ ...message, id }));
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no reply to ${String(message.type)} within ${timeoutMs} ms`)), timeoutMs).unref(),
  );
  return Promise.race([reply, timeout]);
}

/** Opens a connection and sets up its transports; the generator for it, with the router's capabilities. */
async function open(options: HostileRunOptions, tally: HostileTally): Promise<{ books: Books; generator: HostileMessages }> {
  const ws = new WebSocket(options.url.replace(/^http/, 'ws') + '/ws', { headers: { Origin: options.url } });
  const welcomed = new Promise<void>((resolve) => ws.once('message', () => resolve()));
  await once(ws, 'open');
  const books = new Books(ws, tally);
  await welcomed;
  tally.connections++;
  const capabilities = await request(books, 1, { type: 'media.capabilities' }, options.replyTimeoutMs);
  if (!capabilities.ok) throw new Error(`media.capabilities failed: ${capabilities.error.message}`);
  const { routerRtpCapabilities } = capabilities.data as { routerRtpCapabilities: Record<string, unknown> };
  const transports = await request(books, 2, { type: 'media.transports', rtpCapabilities: routerRtpCapabilities }, options.replyTimeoutMs);
  if (!transports.ok) throw new Error(`media.transports failed: ${transports.error.message}`);
  const generator = new HostileMessages(options.random, { ...options.generator, rtpCapabilities: routerRtpCapabilities });
  generator.id();
  generator.id();
  return { books, generator };
}

/** Sends `options.frames` hostile frames, one connection after another (an oversize frame or a flood ends one). */
export async function runHostile(options: HostileRunOptions, tally: HostileTally = emptyTally()): Promise<HostileTally> {
  const gapMs = 1000 / options.ratePerSecond;
  let sent = 0;
  while (sent < options.frames) {
    const { books, generator } = await open(options, tally);
    let nextSendAt = performance.now();
    while (sent < options.frames && !books.closed) {
      const frame = generator.next();
      if (frame.expect.reply === 'close') {
        // Everything owed arrives before the close is asked for, so nothing is cut off by it.
        if (!(await books.until(() => books.outstanding === 0, options.replyTimeoutMs))) books.giveUp();
        books.expectingClose = frame.expect.code;
        for (const data of frame.data) {
          const parsed = typeof data === 'string' && frame.kind === 'flood' ? (JSON.parse(data) as { id: number }) : null;
          if (parsed) books.owed.set(parsed.id, frame);
          books.ws.send(data);
        }
        sent += frame.data.length;
        tally.frames += frame.data.length;
        add(tally.byKind, frame.kind, frame.data.length);
        if (!(await books.until(() => books.closed, options.replyTimeoutMs))) tally.unexpected.push(`no close after ${frame.kind}`);
        books.ws.terminate();
        break;
      }
      await books.until(() => books.outstanding < options.window, options.replyTimeoutMs);
      const wait = nextSendAt - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      nextSendAt = Math.max(nextSendAt + gapMs, performance.now() - gapMs);
      if (books.closed) break;
      if (frame.expect.reply === 'response') books.owed.set(frame.expect.id, frame);
      else books.owedErrors.push(frame);
      for (const data of frame.data) books.ws.send(data);
      sent++;
      tally.frames++;
      add(tally.byKind, frame.kind);
    }
    if (!books.closed) {
      if (!(await books.until(() => books.outstanding === 0, options.replyTimeoutMs))) books.giveUp();
      books.expectingClose = 1000;
      books.ws.close(1000);
      await books.until(() => books.closed, options.replyTimeoutMs);
    }
  }
  return tally;
}

/** Adds `b` into `a`. */
export function mergeTally(a: HostileTally, b: HostileTally): HostileTally {
  a.frames += b.frames;
  a.connections += b.connections;
  for (const [k, v] of Object.entries(b.byKind)) add(a.byKind, k as HostileKind, v);
  for (const [k, v] of Object.entries(b.okByKind)) add(a.okByKind, k as HostileKind, v);
  for (const [k, v] of Object.entries(b.errorCodes)) add(a.errorCodes, k, v);
  for (const [k, v] of Object.entries(b.closes)) add(a.closes, k, v);
  a.lost.push(...b.lost);
  a.unexpected.push(...b.unexpected);
  return a;
}
