import type { ChatLog } from './chat-log.js';
import { PartnerQuality } from './connection-quality.js';
import { ConnectionLostError } from './errors.js';
import type { TypingNotifier } from './typing.js';
import type { VideoCall } from './video.js';
import type { ChatView } from './views.js';

type ConsumerDescriptions = Parameters<VideoCall['consume']>[0];

/**
 * What the page shows of the current partner: their video and its quality note, their camera and
 * microphone indicators, the blur moderation put on them, and whether they are typing. One place
 * to forget all of it when the partner changes.
 */
export class PartnerDisplay {
  readonly #video: VideoCall;
  readonly #view: ChatView;
  readonly #log: ChatLog;
  readonly #typing: TypingNotifier;
  readonly #quality: PartnerQuality;

  constructor(video: VideoCall, view: ChatView, log: ChatLog, typing: TypingNotifier) {
    this.#video = video;
    this.#view = view;
    this.#log = log;
    this.#typing = typing;
    this.#quality = new PartnerQuality(view.partnerQuality, () => video.recvStats());
  }

  /**
   * Consumes the partner's streams and shows them if `wanted()` still holds once they are ready.
   * False when consuming failed for a reason other than a lost connection (which has its own path).
   */
  async show(consumers: ConsumerDescriptions, wanted: () => boolean): Promise<boolean> {
    try {
      const stream = await this.#video.consume(consumers);
      if (stream && wanted()) {
        this.#view.setRemoteStream(stream);
        this.#quality.start();
      }
      return true;
    } catch (error) {
      if (error instanceof ConnectionLostError) return true;
      console.warn('consume() | failed', error);
      return false;
    }
  }

  media(state: { audio: boolean; video: boolean }): void {
    this.#view.setPartnerMedia(state);
    this.#quality.cameraOff(!state.video);
  }

  blur(): void {
    this.#view.setPartnerBlurred(true);
  }

  /** A media.layers push: the layer the server now sends us. */
  layers(message: unknown): void {
    this.#quality.layers(message);
  }

  typing(typing: boolean): void {
    this.#log.setPartnerTyping(typing);
  }

  /** Forget the current partner: their streams, typing and media indicators. */
  end(): void {
    this.#video.closeConsumers();
    this.#view.setRemoteStream(null);
    this.#view.setPartnerMedia(null);
    this.#view.setPartnerBlurred(false);
    this.#quality.stop();
    this.#typing.reset();
    this.#log.setPartnerTyping(false);
  }
}
