import { createHash, randomBytes } from 'node:crypto';
import { logger } from '../logging/logger.js';
import type { ResumedState } from '../protocol/messages.js';
import type { Chatter } from './chatter.js';
import { onGraceEnd, onResumeAttempt, onSocketClose, REFUSAL_TEXT, type ResumeTarget } from './resume-rules.js';

const log = logger('suspensions');
const REPLACED = 'This chat continued on a newer connection.';

export interface SuspensionOptions {
  /** This node's id, named in every welcome so that a resuming page comes back to this node. */
  nodeId: string;
  /** How long a dropped chatter is kept for its browser to come back; 0: never. */
  graceMs: number;
  /** Ends a chatter for good, exactly as a disconnect (the lobby's leave; it calls forget()). */
  leave: (chatter: Chatter) => Promise<void>;
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Resume tokens and suspended chatters, in memory only. Every chatter gets a token in its welcome;
 * the server keeps only the token's SHA-256. A chatter whose socket drops mid-chat is suspended for
 * the grace (pair and media kept, partner told `partner.reconnecting`); a new socket presenting the
 * token takes it over, once: the token is replaced on every resume and forgotten on leave.
 */
export class Suspensions {
  readonly #options: SuspensionOptions;
  readonly #chatterOf = new Map<string, Chatter>();
  readonly #hashes = new Map<Chatter, string>();
  readonly #suspended = new Map<Chatter, { until: number; timer: NodeJS.Timeout }>();

  constructor(options: SuspensionOptions) {
    this.#options = options;
  }

  /** What a welcome carries for resuming: a new token, and the node to come back to. */
  welcome(chatter: Chatter): { resumeToken: string; node: string } {
    return { resumeToken: this.issue(chatter), node: this.#options.nodeId };
  }

  /** A new token for the chatter; the one before it stops working. */
  issue(chatter: Chatter): string {
    this.#forgetToken(chatter);
    const token = randomBytes(32).toString('base64url');
    const hash = hashOf(token);
    this.#chatterOf.set(hash, chatter);
    this.#hashes.set(chatter, hash);
    return token;
  }

  /** The chatter's socket closed: true when it is suspended for the grace, false when it leaves now. */
  suspend(chatter: Chatter, draining: boolean): boolean {
    const close = chatter.connection.closeKind ?? 'dropped';
    if (onSocketClose({ state: chatter.state, close, graceMs: this.#options.graceMs, draining }) === 'leave') return false;
    const timer = setTimeout(() => {
      chatter.serialize(() => this.#graceEnded(chatter)).catch((error: Error) => log.error({ chatter: chatter.id, err: error.message }, 'grace end failed'));
    }, this.#options.graceMs);
    this.#suspended.set(chatter, { until: Date.now() + this.#options.graceMs, timer });
    chatter.partner?.relay({ type: 'partner.reconnecting' });
    log.debug({ chatter: chatter.id, graceMs: this.#options.graceMs }, 'suspended');
    return true;
  }

  /**
   * The fresh chatter `asker` presented `token` (request `id`): answers it, and resolves with the
   * chatter that owns the asker's connection from now on (the resumed one, or the asker itself).
   */
  async resume(asker: Chatter, id: number, token: string): Promise<Chatter> {
    const hash = hashOf(token);
    const target = this.#chatterOf.get(hash);
    if (!target || target === asker) return this.#refuse(asker, id, { found: false });
    let owner = asker;
    await target.serialize(async () => {
      // The grace may have ended, or the token been used, while this waited for its turn.
      if (this.#hashes.get(target) !== hash) {
        this.#refuse(asker, id, { found: false });
        return;
      }
      const suspension = this.#suspended.get(target);
      const facts: ResumeTarget = suspension
        ? { found: true, suspended: true, suspendedUntil: suspension.until }
        : { found: true, suspended: false, state: target.state };
      if (this.#refused(asker, id, facts)) return;
      const oldConnection = target.connection;
      target.connection = asker.connection;
      if (suspension) clearTimeout(suspension.timer);
      this.#suspended.delete(target);
      this.#forgetToken(asker);
      if (!suspension) oldConnection.closeWith('replaced', REPLACED);
      const media = target.media && !target.media.closed ? target.media : undefined;
      const resumed: ResumedState = { token: this.issue(target), state: target.state, iceParameters: media ? await media.restartIce() : null };
      target.connection.reply(id, 'resume', resumed);
      if (suspension) target.partner?.relay({ type: 'partner.back' });
      log.debug({ chatter: target.id, state: target.state }, 'resumed');
      owner = target;
    });
    return owner;
  }

  /** Ends a suspended chatter now, as if its grace had run out (moderation ended its chat). */
  async end(chatter: Chatter): Promise<void> {
    if (this.#suspended.has(chatter)) await this.#options.leave(chatter);
  }

  /** The chatter left for good: its token and any suspension are forgotten. */
  forget(chatter: Chatter): void {
    this.#forgetToken(chatter);
    const suspension = this.#suspended.get(chatter);
    if (suspension) clearTimeout(suspension.timer);
    this.#suspended.delete(chatter);
  }

  close(): void {
    for (const { timer } of this.#suspended.values()) clearTimeout(timer);
    this.#suspended.clear();
  }

  async #graceEnded(chatter: Chatter): Promise<void> {
    if (onGraceEnd(this.#suspended.has(chatter)) === 'leave') await this.#options.leave(chatter);
  }

  #refuse(asker: Chatter, id: number, target: ResumeTarget): Chatter {
    this.#refused(asker, id, target);
    return asker;
  }

  /** Answers a refused attempt; false when the rules say resume. */
  #refused(asker: Chatter, id: number, target: ResumeTarget): boolean {
    const askerFresh = asker.state === 'idle' && asker.settings === undefined && asker.media === undefined;
    const verdict = onResumeAttempt({ target, askerFresh, now: Date.now() });
    if (verdict.action === 'resume') return false;
    asker.connection.replyError(
      id,
      verdict.action === 'refuse' && verdict.reason === 'not_fresh' ? 'wrong_state' : 'resume_refused',
      REFUSAL_TEXT[verdict.reason],
    );
    return true;
  }

  #forgetToken(chatter: Chatter): void {
    const hash = this.#hashes.get(chatter);
    if (hash !== undefined) this.#chatterOf.delete(hash);
    this.#hashes.delete(chatter);
  }
}
