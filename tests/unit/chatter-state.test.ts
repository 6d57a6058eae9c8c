import { describe, expect, it } from 'vitest';
import { allowedIn, wrongStateMessage, type ChatterState } from '../../src/lobby/chatter-state.js';
import type { ClientMessageType } from '../../src/protocol/messages.js';

const cases: [ClientMessageType, ChatterState, boolean][] = [
  ['start', 'idle', true],
  ['start', 'waiting', false],
  ['start', 'paired', false],
  ['next', 'idle', false],
  ['next', 'waiting', true],
  ['next', 'paired', true],
  ['stop', 'idle', false],
  ['stop', 'paired', true],
  ['chat', 'waiting', false],
  ['chat', 'paired', true],
  ['typing', 'idle', false],
  ['report', 'waiting', true],
  ['report', 'idle', true],
  ['report', 'paired', true],
  ['media.capabilities', 'idle', true],
  ['media.produce', 'waiting', true],
  ['media.ready', 'waiting', false],
  ['media.ready', 'paired', true],
];

describe('allowedIn', () => {
  it.each(cases)('%s while %s -> %s', (type, state, expected) => {
    expect(allowedIn(type, state)).toBe(expected);
  });

  it('says where a request is accepted', () => {
    expect(wrongStateMessage('chat', 'idle')).toBe('"chat" is not possible while idle; it is accepted while paired');
  });
});
