import { mediaLayersSchema } from '../../src/protocol/messages.js';

/** The partner's video is called frozen once no frame has been decoded for this long. */
export const FROZEN_AFTER_MS = 2000;
const POLL_MS = 1000;

/** What the page knows about the partner's video: the layer the server sends, and since when nothing was decoded. */
export interface QualityState {
  /** From the server's media.layers: the spatial layer sent (null: none) out of `of`; null before any. */
  layer: { spatialLayer: number | null; of: number } | null;
  /** How long framesDecoded has not risen, in ms (0 while it rises). */
  stalledMs: number;
  /** The partner turned their camera off (partner.media): no frames is then no news. */
  cameraOff: boolean;
}

/** The sentence to show under the partner's video, or '' when all is well. */
export function qualityNote(state: QualityState): string {
  if (state.cameraOff) return '';
  if (state.stalledMs > FROZEN_AFTER_MS) return 'Stranger’s video is frozen: your connection or theirs is too slow right now.';
  const layer = state.layer;
  if (layer && layer.spatialLayer !== null && layer.spatialLayer < layer.of - 1) {
    return 'Your connection is slow: showing Stranger’s video at lower quality.';
  }
  return '';
}

/** The partner's decoded-frame counter from receive-transport stats; null without a video stream. */
export function framesDecodedOf(stats: readonly object[]): number | null {
  let frames: number | null = null;
  for (const stat of stats as readonly Record<string, unknown>[]) {
    if (stat['type'] === 'inbound-rtp' && stat['kind'] === 'video') frames = (frames ?? 0) + Number(stat['framesDecoded'] ?? 0);
  }
  return frames;
}

/**
 * The connection-quality note for the partner's video: follows the server's media.layers pushes and
 * polls the receive stats once a second while a partner's video is shown. The element carries
 * `data-quality` (ok, low, frozen) for styling and tests.
 */
export class PartnerQuality {
  readonly #element: HTMLElement;
  readonly #recvStats: () => Promise<object[]>;
  #timer: ReturnType<typeof setInterval> | undefined;
  #state: QualityState = { layer: null, stalledMs: 0, cameraOff: false };
  #lastFrames: number | null = null;
  #lastRiseAt = 0;

  constructor(element: HTMLElement, recvStats: () => Promise<object[]>) {
    this.#element = element;
    this.#recvStats = recvStats;
  }

  /** The partner's video is being set up: start watching it. */
  start(): void {
    this.stop();
    this.#lastRiseAt = Date.now();
    this.#timer = setInterval(() => void this.#poll(), POLL_MS);
  }

  /** A media.layers push from the server (ignored unless well-formed). */
  layers(message: unknown): void {
    const parsed = mediaLayersSchema.safeParse(message);
    if (!parsed.success) return;
    this.#state = { ...this.#state, layer: { spatialLayer: parsed.data.spatialLayer, of: parsed.data.of } };
    this.#render();
  }

  /** The partner's camera went off or on: the stall is counted again from when it comes back. */
  cameraOff(off: boolean): void {
    if (off === this.#state.cameraOff) return;
    if (!off) this.#lastRiseAt = Date.now();
    this.#state = { ...this.#state, cameraOff: off, stalledMs: 0 };
    this.#render();
  }

  /** The partner is gone: stop polling and hide the note. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#state = { layer: null, stalledMs: 0, cameraOff: false };
    this.#lastFrames = null;
    this.#render();
  }

  async #poll(): Promise<void> {
    const frames = framesDecodedOf(await this.#recvStats());
    if (this.#timer === undefined) return;
    const now = Date.now();
    if (frames !== null && (this.#lastFrames === null || frames > this.#lastFrames)) this.#lastRiseAt = now;
    if (frames !== null) this.#lastFrames = frames;
    if (this.#state.cameraOff) this.#lastRiseAt = now;
    this.#state = { ...this.#state, stalledMs: this.#lastFrames === null ? 0 : now - this.#lastRiseAt };
    this.#render();
  }

  #render(): void {
    const note = qualityNote(this.#state);
    this.#element.textContent = note;
    this.#element.hidden = note === '';
    this.#element.dataset.quality = note === '' ? 'ok' : this.#state.stalledMs > FROZEN_AFTER_MS ? 'frozen' : 'low';
  }
}
