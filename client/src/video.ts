import type { ConsumerDescription } from '../../src/protocol/messages.js';
import { openCamera, stopStream } from './camera.js';
import { ConnectionLostError } from './errors.js';
import type { LinkFailureCause } from './link-failure.js';
import { MediaLink, type MediaKind, type PausedKinds } from './media.js';
import type { Requester } from './signaling.js';

/**
 * The video side of a visit: the camera stream (opened once, released on the way back to the
 * landing page), the MediaLink for the current signaling connection, and mute / camera-off.
 *
 * A link belongs to one server-side media state: when the socket drops or the server sends
 * media.reset, `reset()` drops it and the next `prepare()` builds a new one from the same tracks.
 */
export class VideoCall {
  readonly #signaling: Requester;
  readonly #onLinkFailed: (cause: LinkFailureCause) => void;
  #camera: MediaStream | null = null;
  #link: MediaLink | null = null;
  #linkPending: Promise<MediaLink> | null = null;
  #cameraPending: Promise<MediaStream> | null = null;
  /** Bumped by reset(): a link that finishes building for an older generation is thrown away. */
  #generation = 0;
  #tracksReleased = false;
  readonly #paused: PausedKinds = { audio: false, video: false };

  constructor(signaling: Requester, onLinkFailed: (cause: LinkFailureCause) => void) {
    this.#signaling = signaling;
    this.#onLinkFailed = onLinkFailed;
  }

  get camera(): MediaStream | null {
    return this.#camera;
  }

  get paused(): Readonly<PausedKinds> {
    return this.#paused;
  }

  /** Opens the camera if it is not open yet (rejects with the getUserMedia DOMException). */
  openCamera(): Promise<MediaStream> {
    if (this.#camera) return Promise.resolve(this.#camera);
    if (!this.#cameraPending) {
      const pending = openCamera().then((stream) => {
        for (const kind of ['audio', 'video'] as const) {
          for (const track of kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks()) {
            track.enabled = !this.#paused[kind];
          }
        }
        this.#camera = stream;
        return stream;
      });
      this.#cameraPending = pending;
      const clear = (): void => {
        if (this.#cameraPending === pending) this.#cameraPending = null;
      };
      pending.then(clear, clear);
    }
    return this.#cameraPending;
  }

  /** Makes sure we are producing the camera to the server (building the link if needed). */
  async ensureLink(): Promise<MediaLink> {
    const camera = this.#camera;
    if (!camera) throw new Error('ensureLink() | the camera is not open');
    if (this.#link && !this.#link.closed) {
      if (this.#tracksReleased) {
        await this.#link.replaceStream(camera);
        this.#tracksReleased = false;
      }
      return this.#link;
    }
    if (!this.#linkPending) {
      const generation = this.#generation;
      const pending = MediaLink.create(this.#signaling, camera, this.#paused).then((link) => {
        if (generation !== this.#generation) {
          link.close();
          throw new ConnectionLostError('the media link was reset while it was being built');
        }
        link.on('failed', (_direction, cause) => this.#onLinkFailed(cause));
        this.#link = link;
        this.#tracksReleased = false;
        return link;
      });
      this.#linkPending = pending;
      const clear = (): void => {
        if (this.#linkPending === pending) this.#linkPending = null;
      };
      pending.then(clear, clear);
    }
    return this.#linkPending;
  }

  /** Shows the partner's streams; null when they were dropped meanwhile or there is no link. */
  async consume(consumers: readonly ConsumerDescription[]): Promise<MediaStream | null> {
    if (!this.#link || this.#link.closed) return null;
    return this.#link.consume(consumers);
  }

  closeConsumers(): void {
    this.#link?.closeConsumers();
  }

  async setPaused(kind: MediaKind, paused: boolean): Promise<void> {
    this.#paused[kind] = paused;
    if (this.#link && !this.#link.closed) {
      await this.#link.setPaused(kind, paused);
      return;
    }
    const tracks = kind === 'audio' ? this.#camera?.getAudioTracks() : this.#camera?.getVideoTracks();
    for (const track of tracks ?? []) track.enabled = !paused;
  }

  /** The server kept our media through a drop: restart ICE on the same link. */
  async restartIce(ice: { send: Record<string, unknown>; recv: Record<string, unknown> }): Promise<void> {
    await this.#link?.restartIce(ice);
  }

  /** The server's media state for us is gone (socket lost, media.reset): drop the link. */
  reset(): void {
    this.#generation++;
    this.#linkPending = null;
    this.#link?.close();
    this.#link = null;
  }

  /** Back to the landing page: turn the camera off; the producers stay, sending nothing. */
  async releaseCamera(): Promise<void> {
    const camera = this.#camera;
    this.#camera = null;
    if (this.#link && !this.#link.closed) {
      this.#tracksReleased = true;
      try {
        await this.#link.releaseTracks();
      } finally {
        stopStream(camera);
      }
    } else {
      stopStream(camera);
    }
  }

  async sendStats(): Promise<object[]> {
    return this.#link ? this.#link.sendStats() : [];
  }

  async recvStats(): Promise<object[]> {
    return this.#link ? this.#link.recvStats() : [];
  }
}
