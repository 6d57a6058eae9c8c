import { assertUnreachable, type PartnerLeftReason, type ReportReason } from '../../src/protocol/messages.js';

/** Human sentences shown in the chat, kept in one place. */
export const TEXT = {
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  startingCamera: 'Starting your camera…',
  connectingVideo: 'Connecting video…',
  reconnectingVideo: 'Reconnecting video…',
  waiting: 'Looking for someone…',
  paired: "You're now chatting with a stranger.",
  pairedHint: "You're now chatting with a random stranger. Say hi!",
  stopped: 'You left the chat.',
  stoppedStatus: 'You left the chat. Press Start to meet someone new.',
  reported: "Thanks, reported. You've been disconnected from that person.",
  connectionLost: 'The connection was lost.',
  partnerReconnecting: 'Stranger is reconnecting…',
  partnerBack: 'Stranger is back.',
  cameraUnavailable: 'Your camera is not available.',
  videoFailed: "The stranger's video could not be shown.",
  nothingToReport: 'The stranger has already left, so there is no one to report.',
} as const;

export function partnerLeftText(reason: PartnerLeftReason): string {
  switch (reason) {
    case 'next':
      return 'Stranger skipped to someone else.';
    case 'stop':
      return 'Stranger left.';
    case 'disconnected':
      return 'Stranger disconnected.';
    case 'media_failure':
      return 'Connection to the stranger was lost.';
    case 'moderation':
      return 'This chat was ended by moderation because it may break our Guidelines.';
    default:
      return assertUnreachable(reason);
  }
}

export const REPORT_REASON_LABEL: Record<ReportReason, string> = {
  nudity: 'Nudity or sexual content',
  minor: 'Looks under 18',
  harassment: 'Harassment or bullying',
  spam: 'Spam, scams or advertising',
  hate: 'Hate speech',
  violence: 'Violence, threats or self-harm',
  other: 'Something else',
};

export function sharedInterestsText(interests: readonly string[]): string {
  return interests.length === 0 ? '' : `You both like ${interests.join(', ')}`;
}
