/**
 * Why a frame-tap operation failed, as a machine-readable code:
 * - `busy`: a sample is already in progress on this tap (or every decoder is busy); the request is
 *   dropped, never queued (back-pressure drops samples, never delays media).
 * - `timeout`: no keyframe arrived, or it was not decoded, within the allowed time.
 * - `closed`: the tap (or its decoder) was closed.
 * - `ffmpeg-not-found`: no usable ffmpeg binary (bad configured path, none installed).
 * - `decoder-died`: the ffmpeg decoder process exited; re-create the tap.
 * - `bad-producer`: the producer is not a VP8 video producer this router can consume.
 * - `producer-paused`: the chatter has paused the video; there is nothing to sample.
 */
export type FrameTapErrorCode = 'busy' | 'timeout' | 'closed' | 'ffmpeg-not-found' | 'decoder-died' | 'bad-producer' | 'producer-paused';

/** An error of the frame tap; `code` says which, `detail` carries structured context for logs. */
export class FrameTapError extends Error {
  override name = 'FrameTapError';
  readonly code: FrameTapErrorCode;
  readonly detail: Readonly<Record<string, string | number>>;

  constructor(code: FrameTapErrorCode, message: string, detail: Record<string, string | number> = {}) {
    super(message);
    this.code = code;
    this.detail = detail;
  }
}
