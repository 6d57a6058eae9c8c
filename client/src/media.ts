import { Device, type types } from 'mediasoup-client';
import { senderSettingsFrom, SIMULCAST_LAYERS, type ConsumerDescription, type SenderSettings } from '../../src/protocol/messages.js';
import { Emitter } from './emitter.js';
import { linkFailureCause, type LinkFailureCause } from './link-failure.js';
import type { Requester } from './signaling.js';

export type MediaKind = 'audio' | 'video';
export type PausedKinds = Record<MediaKind, boolean>;

export type MediaLinkEvents = {
  /** A transport's ICE/DTLS connection failed, and why if the page can tell; the server will usually answer with media.reset. */
  failed: ['send' | 'recv', LinkFailureCause];
};

const KINDS: readonly MediaKind[] = ['audio', 'video'];

/**
 * Our media path to the SFU for one signaling connection: a loaded Device, a send and a receive
 * transport, one producer per local track (kept for the whole visit, paused/resumed for mute and
 * camera off) and the consumers of the current partner (replaced per pairing).
 *
 * Built by `create()`, which finishes every step or closes what it made: a half-built link never
 * exists. `close()` is idempotent; the local tracks are never stopped by it (stopTracks: false), so
 * the same camera stream can be produced again after a reconnect or a media.reset.
 */
export class MediaLink extends Emitter<MediaLinkEvents> {
  readonly #signaling: Requester;
  readonly #send: types.Transport;
  readonly #recv: types.Transport;
  /** What a failure of this link would mean (it depends only on the browser and the server's candidates). */
  readonly #failureCause: LinkFailureCause;
  readonly #producers = new Map<MediaKind, types.Producer>();
  readonly #consumers = new Map<MediaKind, types.Consumer>();
  readonly #remote = new MediaStream();
  /** Bumped whenever the consumer set is dropped, so a consume in flight knows it is stale. */
  #epoch = 0;
  #closed = false;
  /** Simulcast or not, the Opus frame length and DTX, as media.capabilities says. */
  readonly #sending: SenderSettings;

  private constructor(signaling: Requester, send: types.Transport, recv: types.Transport, failureCause: LinkFailureCause, sending: SenderSettings) {
    super();
    this.#signaling = signaling;
    this.#sending = sending;
    this.#send = send;
    this.#recv = recv;
    this.#failureCause = failureCause;
  }

  /**
   * Loads a Device with the router's capabilities, creates both transports and produces every
   * track of `stream`, then applies `paused` (mute / camera off) on both sides.
   */
  static async create(signaling: Requester, stream: MediaStream, paused: PausedKinds): Promise<MediaLink> {
    const capabilities = await signaling.request('media.capabilities', {});
    const { routerRtpCapabilities } = capabilities;
    const device = new Device();
    // The server's capabilities are validated by mediasoup-client (it throws a TypeError on bad ones).
    await device.load({ routerRtpCapabilities: routerRtpCapabilities });
    const { send, recv } = await signaling.request('media.transports', {
      rtpCapabilities: device.rtpCapabilities,
    });
    const sendTransport = device.createSendTransport(send as unknown as types.TransportOptions);
    let recvTransport: types.Transport;
    try {
      recvTransport = device.createRecvTransport(recv as unknown as types.TransportOptions);
    } catch (error) {
      sendTransport.close();
      throw error;
    }
    const serverAddresses = [send, recv].flatMap((options) => candidateAddresses(options.iceCandidates));
    const link = new MediaLink(
      signaling,
      sendTransport,
      recvTransport,
      linkFailureCause(device.handlerName, serverAddresses),
      senderSettingsFrom(capabilities),
    );
    try {
      link.#wire();
      for (const kind of KINDS) {
        const track = kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
        if (track) await link.#produce(kind, track, paused[kind]);
      }
    } catch (error) {
      link.close();
      throw error;
    }
    return link;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Pauses or resumes our own audio or video, here and on the server. */
  async setPaused(kind: MediaKind, paused: boolean): Promise<void> {
    const producer = this.#producers.get(kind);
    if (!producer || producer.closed) return;
    if (paused) producer.pause();
    else producer.resume();
    await this.#signaling.request('media.pause', { kind, paused });
  }

  /** Swaps in new camera tracks (after the camera was released) without producing again. */
  async replaceStream(stream: MediaStream): Promise<void> {
    for (const kind of KINDS) {
      const producer = this.#producers.get(kind);
      const track = kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
      if (producer && !producer.closed) await producer.replaceTrack({ track: track ?? null });
    }
  }

  /** Stops sending anything while keeping the producers (the camera is about to be released). */
  async releaseTracks(): Promise<void> {
    for (const producer of this.#producers.values()) {
      if (!producer.closed) await producer.replaceTrack({ track: null });
    }
  }

  /**
   * Receives the partner's streams: each description replaces the consumer of its kind, then the
   * server is told to resume them. Returns the stream to show, or null when the consumers were
   * dropped (partner left, Next) while this was in flight.
   */
  async consume(descriptions: readonly ConsumerDescription[]): Promise<MediaStream | null> {
    const epoch = this.#epoch;
    // All at once: mediasoup-client then makes every consumer in one renegotiation of the
    // receive transport, not one per kind in a row.
    const outcomes = await Promise.allSettled(
      descriptions.map((description) =>
        this.#recv.consume({
          id: description.id,
          producerId: description.producerId,
          kind: description.kind,
          rtpParameters: description.rtpParameters as unknown as types.RtpParameters,
        }),
      ),
    );
    const created = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure || epoch !== this.#epoch || this.#closed) {
      for (const consumer of created) consumer.close();
      if (failure) throw failure.reason;
      return null;
    }
    for (const consumer of created) this.#adopt(consumer);
    await this.#signaling.request('media.ready', { consumerIds: created.map((consumer) => consumer.id) });
    return epoch === this.#epoch && !this.#closed ? this.#remote : null;
  }

  /** Drops the current partner's consumers. */
  closeConsumers(): void {
    this.#epoch++;
    for (const consumer of this.#consumers.values()) this.#dropConsumer(consumer);
    this.#consumers.clear();
  }

  /** After a resumed drop: both transports take the server's new ICE credentials and reconnect. */
  async restartIce(ice: { send: Record<string, unknown>; recv: Record<string, unknown> }): Promise<void> {
    if (this.#closed) return;
    await this.#send.restartIce({ iceParameters: ice.send as unknown as types.IceParameters });
    await this.#recv.restartIce({ iceParameters: ice.recv as unknown as types.IceParameters });
  }

  async sendStats(): Promise<object[]> {
    return this.#closed ? [] : Array.from((await this.#send.getStats()).values() as IterableIterator<object>);
  }

  async recvStats(): Promise<object[]> {
    return this.#closed ? [] : Array.from((await this.#recv.getStats()).values() as IterableIterator<object>);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeConsumers();
    this.#producers.clear();
    this.#send.close();
    this.#recv.close();
  }

  #wire(): void {
    for (const transport of [this.#send, this.#recv]) {
      const direction = transport.direction;
      transport.on('connect', ({ dtlsParameters }, callback, errback) => {
        this.#signaling.request('media.connect', { direction, dtlsParameters: dtlsParameters }).then(callback, errback);
      });
      transport.on('connectionstatechange', (state) => {
        if (state === 'failed' && !this.#closed) this.emit('failed', direction, this.#failureCause);
      });
    }
    this.#send.on('produce', ({ kind, rtpParameters }, callback, errback) => {
      this.#signaling.request('media.produce', { kind, rtpParameters: rtpParameters }).then(({ producerId }) => callback({ id: producerId }), errback);
    });
  }

  async #produce(kind: MediaKind, track: MediaStreamTrack, paused: boolean): Promise<void> {
    const layers = kind === 'video' && this.#sending.simulcast ? { encodings: SIMULCAST_LAYERS.map((layer) => ({ ...layer })) } : {};
    const frames = kind === 'audio' ? { codecOptions: { opusPtime: this.#sending.opusPtimeMs, opusDtx: this.#sending.opusDtx } } : {};
    const producer = await this.#send.produce({ track, stopTracks: false, disableTrackOnPause: true, ...layers, ...frames });
    this.#producers.set(kind, producer);
    if (paused || producer.paused) await this.setPaused(kind, true);
  }

  #adopt(consumer: types.Consumer): void {
    const kind = consumer.kind;
    const previous = this.#consumers.get(kind);
    if (previous) this.#dropConsumer(previous);
    this.#consumers.set(kind, consumer);
    this.#remote.addTrack(consumer.track);
    consumer.on('transportclose', () => this.#forget(consumer));
    consumer.on('trackended', () => this.#forget(consumer));
  }

  #forget(consumer: types.Consumer): void {
    if (this.#consumers.get(consumer.kind) === consumer) this.#consumers.delete(consumer.kind);
    this.#remote.removeTrack(consumer.track);
  }

  #dropConsumer(consumer: types.Consumer): void {
    this.#remote.removeTrack(consumer.track);
    if (!consumer.closed) consumer.close();
  }
}

/** The addresses in the server's ICE candidates (mediasoup names the field `ip`, newer versions `address`). */
function candidateAddresses(candidates: readonly Record<string, unknown>[]): string[] {
  return candidates.flatMap((candidate) => {
    const address = candidate['address'] ?? candidate['ip'];
    return typeof address === 'string' ? [address] : [];
  });
}
