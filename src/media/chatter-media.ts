import type { types } from 'mediasoup';
import { SIMULCAST_LAYERS, type ConsumerDescription, type TransportDescription } from '../protocol/messages.js';
import type { MediaSlot } from './worker-pool.js';
import { ensurePiped } from './pipe.js';
import { consumerLayerCounts, layersNotice, preferredLayers } from './layer-cap.js';
import { guardFrameRate } from './consumer-guard.js';
import type { LayerPreference } from './frame-rate-guard.js';

/**
 * The floor of a receive transport's bandwidth estimate: the lowest simulcast layer plus Opus and
 * headroom. Without it, the onset of a narrow lossy link drove the estimate to mediasoup's 30-40
 * kbit/s minimum, below the lowest layer, and the consumer then sent no video at all for seconds
 * while the estimate crept back up (docs/simulcast.md, "Known: stalls").
 */
export const MIN_RECEIVE_BITRATE = (SIMULCAST_LAYERS[0]?.maxBitrate ?? 100_000) + 50_000;

/** Told of each change of the spatial layer a consumer sends (simulcast producers only). */
export type LayersListener = (notice: { spatialLayer: number | null; of: number }) => void;

export type MediaKind = 'audio' | 'video';
export type Direction = 'send' | 'recv';

export interface RtpTotals {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  packetsLost: number;
  nacks: number;
  plis: number;
}

export class MediaStateError extends Error {
  override name = 'MediaStateError';
}

/**
 * One chatter's media for the whole visit: a send and a receive WebRtcTransport on one router, the
 * chatter's producers, and the consumers of the current partner's producers (which change on Next).
 */
export class ChatterMedia {
  readonly slot: MediaSlot;
  readonly #rtpCapabilities: types.RtpCapabilities;
  readonly #transports: Record<Direction, types.WebRtcTransport>;
  readonly #prefer: LayerPreference;
  readonly #producers = new Map<MediaKind, types.Producer>();
  readonly #consumers = new Map<string, types.Consumer>();
  #closed = false;

  private constructor(slot: MediaSlot, rtpCapabilities: types.RtpCapabilities, transports: Record<Direction, types.WebRtcTransport>, prefer: LayerPreference) {
    this.slot = slot;
    this.#rtpCapabilities = rtpCapabilities;
    this.#transports = transports;
    this.#prefer = prefer;
  }

  /**
   * Creates both transports on the slot's router, through its WebRtcServer (one port per worker);
   * `prefer` says what the partner's video keeps on a narrow downlink (frame-rate-guard.ts).
   */
  static async create(slot: MediaSlot, rtpCapabilities: types.RtpCapabilities, prefer: LayerPreference): Promise<ChatterMedia> {
    const options: types.WebRtcTransportOptions = {
      webRtcServer: slot.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 600_000,
    };
    const send = await slot.router.createWebRtcTransport(options);
    let recv: types.WebRtcTransport;
    try {
      recv = await slot.router.createWebRtcTransport(options);
      await recv.setMinOutgoingBitrate(MIN_RECEIVE_BITRATE);
    } catch (error) {
      send.close();
      throw error;
    }
    slot.load++;
    return new ChatterMedia(slot, rtpCapabilities, { send, recv }, prefer);
  }

  describeTransports(): { send: TransportDescription; recv: TransportDescription } {
    const describe = (t: types.WebRtcTransport): TransportDescription => ({
      id: t.id,
      iceParameters: { ...t.iceParameters },
      iceCandidates: t.iceCandidates.map((c) => ({ ...c })),
      dtlsParameters: { ...t.dtlsParameters },
    });
    return { send: describe(this.#transports.send), recv: describe(this.#transports.recv) };
  }

  async connect(direction: Direction, dtlsParameters: types.DtlsParameters): Promise<void> {
    this.#assertOpen();
    await this.#transports[direction].connect({ dtlsParameters });
  }

  async produce(kind: MediaKind, rtpParameters: types.RtpParameters): Promise<string> {
    this.#assertOpen();
    if (this.#producers.has(kind)) throw new MediaStateError(`an ${kind} producer exists already`);
    const producer = await this.#transports.send.produce({ kind, rtpParameters });
    this.#producers.set(kind, producer);
    producer.observer.once('close', () => this.#producers.delete(kind));
    return producer.id;
  }

  get producing(): boolean {
    return this.#producers.size > 0;
  }

  /** Which of the chatter's tracks are live (not paused by the chatter). */
  get liveKinds(): { audio: boolean; video: boolean } {
    const live = (kind: MediaKind): boolean => {
      const producer = this.#producers.get(kind);
      return producer !== undefined && !producer.paused;
    };
    return { audio: live('audio'), video: live('video') };
  }

  /** The live video producer and its router, for the moderation frame tap; undefined without one. */
  get videoSource(): { router: types.Router; producer: types.Producer } | undefined {
    const producer = this.#producers.get('video');
    return producer && !producer.closed && !this.closed ? { router: this.slot.router, producer } : undefined;
  }

  async setPaused(kind: MediaKind, paused: boolean): Promise<void> {
    const producer = this.#producers.get(kind);
    if (!producer) throw new MediaStateError(`no ${kind} producer`);
    if (paused) await producer.pause();
    else await producer.resume();
  }

  /** The chatter's producers, for partners to consume (through a pipe when they live elsewhere). */
  get producers(): types.Producer[] {
    return [...this.#producers.values()];
  }

  /**
   * Makes this chatter's producers consumable in `router` (piping them there when it is another
   * worker's); their ids.
   */
  async pipeTo(router: types.Router): Promise<string[]> {
    for (const producer of this.#producers.values()) {
      if (this.slot.router !== router) await ensurePiped(producer.id, this.slot.router, router);
    }
    return this.producers.map((producer) => producer.id);
  }

  /**
   * Consumers (paused) on this chatter's receive transport for the partner's producers, which must
   * be in this chatter's router already (pipeTo(), or a pipe from another node).
   */
  async consume(producerIds: readonly string[], onLayers?: LayersListener): Promise<ConsumerDescription[]> {
    this.#assertOpen();
    const descriptions: ConsumerDescription[] = [];
    for (const producerId of producerIds) {
      if (!this.slot.router.canConsume({ producerId, rtpCapabilities: this.#rtpCapabilities })) continue;
      const consumer = await this.#transports.recv.consume({ producerId, rtpCapabilities: this.#rtpCapabilities, paused: true });
      if (consumer.type === 'simulcast') {
        const counts = consumerLayerCounts(consumer);
        await consumer.setPreferredLayers(preferredLayers(counts, 'partner'));
        if (this.#prefer === 'framerate') guardFrameRate(consumer, counts);
        let told: number | null | undefined;
        consumer.on('layerschange', (layers) => {
          const notice = layersNotice(counts, layers);
          if (!notice || notice.spatialLayer === told) return;
          told = notice.spatialLayer;
          onLayers?.(notice);
        });
      }
      this.#consumers.set(consumer.id, consumer);
      consumer.observer.once('close', () => this.#consumers.delete(consumer.id));
      descriptions.push({ id: consumer.id, producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters });
    }
    return descriptions;
  }

  /** Resumes consumers once the client has set them up: the first thing it gets is a keyframe. */
  async resume(consumerIds: readonly string[]): Promise<void> {
    for (const id of consumerIds) {
      const consumer = this.#consumers.get(id);
      if (!consumer) throw new MediaStateError(`unknown consumer ${id}`);
      await consumer.resume();
      if (consumer.kind === 'video') await consumer.requestKeyFrame();
    }
  }

  /**
   * After a drop: new ICE credentials on both existing transports (the browser restarts ICE with
   * them), and a keyframe on every video consumer so the picture comes back at once.
   */
  async restartIce(): Promise<{ send: Record<string, unknown>; recv: Record<string, unknown> }> {
    const send = await this.#transports.send.restartIce();
    const recvTransport = this.#transports.recv;
    const recv = await recvTransport.restartIce();
    const onIceState = (state: types.IceState): void => {
      if (state !== 'connected' && state !== 'completed') return;
      recvTransport.off('icestatechange', onIceState);
      this.#requestKeyFrames();
    };
    recvTransport.on('icestatechange', onIceState);
    this.#requestKeyFrames();
    return { send: { ...send }, recv: { ...recv } };
  }

  #requestKeyFrames(): void {
    for (const consumer of this.#consumers.values()) {
      if (consumer.kind === 'video' && !consumer.closed && !consumer.paused) consumer.requestKeyFrame().catch(() => undefined);
    }
  }

  get consumerCount(): number {
    return this.#consumers.size;
  }

  /** RTP counters summed over this chatter's live producers (in) and consumers (out), for metrics. */
  async rtpTotals(): Promise<RtpTotals> {
    const totals: RtpTotals = { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, packetsLost: 0, nacks: 0, plis: 0 };
    for (const producer of this.#producers.values()) {
      for (const stat of await producer.getStats()) {
        totals.packetsIn += stat.packetCount;
        totals.bytesIn += stat.byteCount;
        totals.packetsLost += stat.packetsLost;
        totals.nacks += stat.nackCount;
        totals.plis += stat.pliCount;
      }
    }
    for (const consumer of this.#consumers.values()) {
      for (const stat of await consumer.getStats()) {
        if (stat.type !== 'outbound-rtp') continue;
        totals.packetsOut += stat.packetCount;
        totals.bytesOut += stat.byteCount;
        totals.nacks += stat.nackCount;
        totals.plis += stat.pliCount;
      }
    }
    return totals;
  }

  closeConsumers(): void {
    for (const consumer of this.#consumers.values()) consumer.close();
    this.#consumers.clear();
  }

  get closed(): boolean {
    return this.#closed || this.#transports.send.closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeConsumers();
    this.#transports.send.close();
    this.#transports.recv.close();
    this.slot.load = Math.max(0, this.slot.load - 1);
  }

  #assertOpen(): void {
    if (this.closed) throw new MediaStateError('media is closed');
  }
}
