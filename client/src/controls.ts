import type { ChatMode } from '../../src/protocol/messages.js';

export const UI_STATES = ['landing', 'starting', 'waiting', 'paired', 'partner-left', 'idle', 'error', 'reconnecting'] as const;
export type UiState = (typeof UI_STATES)[number];

export interface ControlState {
  next: { shown: boolean; enabled: boolean; label: string };
  startAgain: boolean;
  backHome: boolean;
  stop: { shown: boolean; enabled: boolean };
  report: { shown: boolean; enabled: boolean };
  /** Mute and camera buttons. */
  media: { shown: boolean; enabled: boolean };
  chat: boolean;
}

/** Which controls the chat view offers in each state. Pure, for tests. */
export function controlsFor(state: UiState, mode: ChatMode, hasCamera: boolean): ControlState {
  const searching = state === 'starting' || state === 'waiting' || state === 'reconnecting';
  const inChat = searching || state === 'paired' || state === 'partner-left';
  const stopped = state === 'idle' || state === 'error';
  return {
    next: {
      shown: inChat,
      enabled: state === 'waiting' || state === 'paired' || state === 'partner-left',
      label: state === 'partner-left' ? 'Find a new stranger' : 'Next',
    },
    startAgain: stopped,
    backHome: stopped,
    stop: { shown: inChat, enabled: inChat },
    report: { shown: inChat, enabled: state === 'paired' || state === 'partner-left' },
    media: { shown: mode === 'video' && hasCamera, enabled: mode === 'video' && hasCamera },
    chat: state === 'paired',
  };
}
