import type { PartnerLeftReason } from '../../src/protocol/messages.js';
import type { UiState } from './controls.js';
import type { Signaling } from './signaling.js';
import { TEXT } from './texts.js';
import type { VideoCall } from './video.js';

/** What following a drop and a resume reads of the chat session. */
export interface ResumeHost {
  readonly state: UiState;
  readonly video: VideoCall;
}

/** What it asks the chat session to do. */
export interface ResumeActions {
  setStatus(text: string): void;
  /** The partner left while we were away (the server resumed us idle). */
  partnerLeft(reason: PartnerLeftReason): void;
}

/**
 * A drop mid-chat keeps the chat on screen ("Reconnecting…") while the signaling reconnects and
 * presents the resume token; resumed, the media link restarts ICE with the server's new
 * parameters. A drop outside a chat is a lost connection, as it always was (docs/resume.md).
 */
export function followResumes(signaling: Signaling, host: ResumeHost, actions: ResumeActions): void {
  signaling.on('dropped', () => {
    if (host.state !== 'paired') {
      signaling.abandonResume();
      return;
    }
    actions.setStatus(TEXT.reconnecting);
  });
  signaling.on('resumed', (resumed) => {
    if (resumed.iceParameters) {
      host.video.restartIce(resumed.iceParameters).catch((error: unknown) => console.warn('resume | ICE restart failed', error));
    }
    if (host.state !== 'paired') return;
    if (resumed.state === 'paired') actions.setStatus(TEXT.paired);
    else actions.partnerLeft('disconnected');
  });
}

/** The line shown while the partner's own connection is away, and when it is back. */
export function partnerConnectionText(type: 'partner.reconnecting' | 'partner.back'): string {
  return type === 'partner.reconnecting' ? TEXT.partnerReconnecting : TEXT.partnerBack;
}
