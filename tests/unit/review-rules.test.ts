import { describe, expect, it } from 'vitest';
import { claimRefusal, dismissRefusal, escalateStep, type EscalationState } from '../../src/console/review-rules.js';

const NOW = Date.UTC(2026, 11, 1);
const requested = (by: string): EscalationState => ({ requestedBy: by, confirmedBy: null });
const confirmed = (by: string, confirmer: string): EscalationState => ({ requestedBy: by, confirmedBy: confirmer });

describe('claimRefusal', () => {
  it.each([
    { name: 'no claim', holder: null, actor: 'ana', code: 'not_claimed' },
    { name: 'claimed by another', holder: { claimedBy: 'ben' }, actor: 'ana', code: 'claimed' },
    { name: 'own claim', holder: { claimedBy: 'ana' }, actor: 'ana', code: null },
  ])('$name -> $code', ({ holder, actor, code }) => {
    expect(claimRefusal(holder, actor)?.code ?? null).toBe(code);
  });
});

describe('dismissRefusal', () => {
  it.each([
    { name: 'plain item', legalHoldUntil: null, escalation: null, code: null },
    { name: 'legal hold in force', legalHoldUntil: NOW + 1, escalation: null, code: 'legal_hold' },
    { name: 'legal hold ended', legalHoldUntil: NOW, escalation: null, code: null },
    { name: 'escalation waiting for a second moderator', legalHoldUntil: null, escalation: requested('ana'), code: 'escalation_pending' },
    { name: 'legal hold wins over a pending escalation', legalHoldUntil: NOW + 1, escalation: requested('ana'), code: 'legal_hold' },
    { name: 'confirmed escalation whose hold has ended', legalHoldUntil: NOW - 1, escalation: confirmed('ana', 'ben'), code: null },
  ])('$name -> $code', ({ legalHoldUntil, escalation, code }) => {
    const refusal = dismissRefusal({ id: 'ev1', legalHoldUntil }, escalation, NOW);
    expect(refusal?.code ?? null).toBe(code);
    if (refusal) expect(refusal.status).toBe(409);
  });

  it('names who asked to escalate', () => {
    expect(dismissRefusal({ id: 'ev1', legalHoldUntil: null }, requested('ana'), NOW)?.message).toMatch(/^ana asked to escalate/);
  });
});

describe('escalateStep', () => {
  it.each([
    { name: 'first request', existing: null, actor: 'ana', step: 'request', code: null },
    { name: 'the requester again', existing: requested('ana'), actor: 'ana', step: 'refuse', code: 'second_moderator_required' },
    { name: 'a second moderator', existing: requested('ana'), actor: 'ben', step: 'confirm', code: null },
    { name: 'the confirmer again (lost package)', existing: confirmed('ana', 'ben'), actor: 'ben', step: 'reissue', code: null },
    { name: 'a third moderator after confirmation', existing: confirmed('ana', 'ben'), actor: 'cy', step: 'refuse', code: 'already_escalated' },
    { name: 'the requester after confirmation', existing: confirmed('ana', 'ben'), actor: 'ana', step: 'refuse', code: 'already_escalated' },
  ])('$name -> $step', ({ existing, actor, step, code }) => {
    const next = escalateStep(existing, actor);
    expect(next.step).toBe(step);
    expect(next.step === 'refuse' ? next.refusal.code : null).toBe(code);
  });
});
