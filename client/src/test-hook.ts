import type { VideoCall } from './video.js';

/**
 * TEST-ONLY HOOK: end-to-end tests read the WebRTC statistics of our transports through
 * `window.__veilTest` (for example to check that media flows only to the server's address).
 * It exposes nothing a page script could not learn from the RTCPeerConnection anyway.
 */
export interface VeilTestHook {
  recvStats(): Promise<object[]>;
  sendStats(): Promise<object[]>;
}

declare global {
  interface Window {
    __veilTest?: VeilTestHook;
  }
}

export function installTestHook(video: VideoCall): void {
  window.__veilTest = {
    recvStats: () => video.recvStats(),
    sendStats: () => video.sendStats(),
  };
}
