/**
 * What happens to a chatter when its socket closes, when a browser asks to resume it, and when its
 * grace ends: pure decisions, tested as a table (tests/unit/resume-rules.test.ts). The lobby and
 * src/lobby/suspensions.ts carry them out.
 */
import { GAVE_UP_CLOSE_CODE } from '../protocol/messages.js';
import type { ChatterState } from './chatter-state.js';

/**
 * How a socket ended: `dropped` without a close frame (network gone, missed heartbeats) or with the
 * page's own give-up code, `left` with any other from the browser (reload, tab closed),
 * `closed_by_server` by our own closeWith.
 */
export type CloseKind = 'dropped' | 'left' | 'closed_by_server';

const ABNORMAL_CLOSURE = 1006;

/**
 * A socket's end from its close code: no close frame (1006), or the page's own "my connection is
 * dead, I will resume" (GAVE_UP_CLOSE_CODE), is a drop; any other frame from the browser a leave.
 */
export function closeKindOf(code: number, closedByServer: boolean): CloseKind {
  if (closedByServer) return 'closed_by_server';
  return code === ABNORMAL_CLOSURE || code === GAVE_UP_CLOSE_CODE ? 'dropped' : 'left';
}

export interface CloseFacts {
  state: ChatterState;
  close: CloseKind;
  graceMs: number;
  draining: boolean;
}

/** `suspend`: keep the chatter, its pair and its media for the grace; `leave`: as a disconnect always was. */
export function onSocketClose(facts: CloseFacts): 'suspend' | 'leave' {
  if (facts.graceMs <= 0 || facts.draining) return 'leave';
  if (facts.close !== 'dropped') return 'leave';
  return facts.state === 'paired' ? 'suspend' : 'leave';
}

/** The chatter a presented token was issued to, as the resume decision sees it. */
export type ResumeTarget =
  | { found: false }
  | { found: true; suspended: true; suspendedUntil: number }
  /** Its old socket still looks open here (the server has not noticed the drop yet). */
  | { found: true; suspended: false; state: ChatterState };

export interface ResumeFacts {
  target: ResumeTarget;
  /** The asking connection's own chatter has done nothing yet (no media, never started). */
  askerFresh: boolean;
  now: number;
}

export type ResumeRefusal = 'unknown_token' | 'expired' | 'not_fresh' | 'not_resumable';
export type ResumeVerdict = { action: 'resume' } | { action: 'refuse'; reason: ResumeRefusal };

export function onResumeAttempt(facts: ResumeFacts): ResumeVerdict {
  if (!facts.askerFresh) return { action: 'refuse', reason: 'not_fresh' };
  const target = facts.target;
  if (!target.found) return { action: 'refuse', reason: 'unknown_token' };
  if (target.suspended) return facts.now < target.suspendedUntil ? { action: 'resume' } : { action: 'refuse', reason: 'expired' };
  // A socket the server still thinks is open: the browser noticed the drop first. Only a chat is
  // worth taking over; an idle or waiting chatter simply starts again.
  return target.state === 'paired' ? { action: 'resume' } : { action: 'refuse', reason: 'not_resumable' };
}

/** The grace ended: a chatter still suspended leaves as a disconnect; one that came back stays. */
export function onGraceEnd(suspended: boolean): 'leave' | 'nothing' {
  return suspended ? 'leave' : 'nothing';
}

/** The sentence of each refusal, for the error reply. */
export const REFUSAL_TEXT: Record<ResumeRefusal, string> = {
  unknown_token: 'that resume token is not valid (wrong, already used, or its grace ended); start a new visit',
  expired: 'the resume grace has ended; start a new visit',
  not_fresh: 'resume must be the first request on a new connection',
  not_resumable: 'there is no chat to resume; start a new visit',
};
