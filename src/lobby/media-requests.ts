import type { types } from 'mediasoup';
import { validateRtpCapabilities } from 'mediasoup/node/lib/ortc.js';
import { ChatterMedia, MediaStateError } from '../media/chatter-media.js';
import type { LayerPreference } from '../media/frame-rate-guard.js';
import type { WorkerPool } from '../media/worker-pool.js';
import type { ClientMessage, ResponseData, SenderSettings } from '../protocol/messages.js';
import type { Chatter } from './chatter.js';
import { RequestError } from './request-error.js';

type MediaMessage = Extract<ClientMessage, { type: `media.${string}` }>;

/** Turns media state errors into replies the browser understands. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RequestError) throw error;
    if (error instanceof MediaStateError) throw new RequestError('wrong_state', error.message);
    if (error instanceof TypeError) throw new RequestError('bad_message', error.message);
    throw new RequestError('media_unavailable', (error as Error).message);
  }
}

function mediaOf(chatter: Chatter): ChatterMedia {
  if (!chatter.media || chatter.media.closed) {
    throw new RequestError('wrong_state', 'no media transports yet: send media.transports first');
  }
  return chatter.media;
}

// eslint-disable-next-line @typescript-eslint/require-await -- async so that a missing worker is a rejection, like every other request
export async function mediaCapabilities(pool: WorkerPool, sending: SenderSettings): Promise<ResponseData['media.capabilities']> {
  const slot = (() => {
    try {
      return pool.pick();
    } catch {
      throw new RequestError('media_unavailable', 'no media worker is available');
    }
  })();
  return { routerRtpCapabilities: slot.router.rtpCapabilities as unknown as Record<string, unknown>, ...sending };
}

/**
 * Creates (or recreates) the chatter's transports on the least-loaded worker. The capabilities are
 * checked first: malformed ones are refused with bad_message and leave the chatter's transports as
 * they were (unchecked, they were kept and made every later consumer of the chatter fail or vanish).
 */
export async function mediaTransports(
  chatter: Chatter,
  pool: WorkerPool,
  message: Extract<MediaMessage, { type: 'media.transports' }>,
  prefer: LayerPreference,
): Promise<ResponseData['media.transports']> {
  if (chatter.state !== 'idle') throw new RequestError('wrong_state', 'media can be set up only between chats');
  return guarded(async () => {
    validateRtpCapabilities(message.rtpCapabilities);
    chatter.media?.close();
    chatter.media = undefined;
    const slot = pool.pick();
    chatter.media = await ChatterMedia.create(slot, message.rtpCapabilities, prefer);
    return chatter.media.describeTransports();
  });
}

export async function mediaConnect(chatter: Chatter, message: Extract<MediaMessage, { type: 'media.connect' }>): Promise<void> {
  const media = mediaOf(chatter);
  await guarded(() => media.connect(message.direction, message.dtlsParameters as unknown as types.DtlsParameters));
}

export async function mediaProduce(chatter: Chatter, message: Extract<MediaMessage, { type: 'media.produce' }>): Promise<ResponseData['media.produce']> {
  const media = mediaOf(chatter);
  const producerId = await guarded(() => media.produce(message.kind, message.rtpParameters as unknown as types.RtpParameters));
  return { producerId };
}

export async function mediaPause(chatter: Chatter, message: Extract<MediaMessage, { type: 'media.pause' }>): Promise<void> {
  const media = mediaOf(chatter);
  await guarded(() => media.setPaused(message.kind, message.paused));
  chatter.partner?.relay({ type: 'partner.media', ...media.liveKinds });
}

export async function mediaReady(chatter: Chatter, message: Extract<MediaMessage, { type: 'media.ready' }>): Promise<void> {
  const media = mediaOf(chatter);
  await guarded(() => media.resume(message.consumerIds));
}
