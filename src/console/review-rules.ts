import type { ConsoleErrorCode } from '../protocol/http-errors.js';

/**
 * The rules of the console's actions, as pure decisions (tested as tables in
 * tests/unit/review-rules.test.ts); the routes in src/http/console-api.ts do the I/O around them.
 */

/** Why an action is refused: always a 409, a code from the console's list, and a sentence. */
export interface Refusal {
  status: 409;
  code: ConsoleErrorCode;
  message: string;
}

/** What the rules read of an escalation. */
export interface EscalationState {
  requestedBy: string;
  confirmedBy: string | null;
}

const refuse = (code: ConsoleErrorCode, message: string): Refusal => ({ status: 409, code, message });

/** Acting on an item needs the actor's own live claim on it. */
export function claimRefusal(holder: { claimedBy: string } | null, actor: string): Refusal | null {
  if (holder === null) return refuse('not_claimed', 'claim the item before acting on it');
  if (holder.claimedBy !== actor) return refuse('claimed', `the item is claimed by ${holder.claimedBy}`);
  return null;
}

/**
 * Dismissing deletes the evidence, so it is refused while a legal hold is in force and while one
 * moderator's escalation waits for a second: dismissing would destroy what must be reported.
 */
export function dismissRefusal(item: { id: string; legalHoldUntil: number | null }, escalation: EscalationState | null, now: number): Refusal | null {
  if (item.legalHoldUntil !== null && item.legalHoldUntil > now) return refuse('legal_hold', `evidence ${item.id} is under legal hold`);
  if (escalation !== null && escalation.confirmedBy === null) {
    return refuse('escalation_pending', `${escalation.requestedBy} asked to escalate this item: confirm or leave it`);
  }
  return null;
}

/**
 * What an escalate call by `actor` does: the first request; a second, different moderator's
 * confirmation; the confirmer asking again for a package that got lost; or a refusal (the same
 * moderator cannot confirm their own request; a confirmed escalation belongs to its confirmer).
 */
export type EscalateStep = { step: 'request' } | { step: 'confirm' } | { step: 'reissue' } | { step: 'refuse'; refusal: Refusal };

export function escalateStep(existing: EscalationState | null, actor: string): EscalateStep {
  if (existing === null) return { step: 'request' };
  if (existing.confirmedBy === null) {
    if (existing.requestedBy === actor) {
      return { step: 'refuse', refusal: refuse('second_moderator_required', 'a second, different moderator must confirm the escalation') };
    }
    return { step: 'confirm' };
  }
  if (existing.confirmedBy !== actor) {
    return { step: 'refuse', refusal: refuse('already_escalated', `the escalation was confirmed by ${existing.confirmedBy}`) };
  }
  return { step: 'reissue' };
}
