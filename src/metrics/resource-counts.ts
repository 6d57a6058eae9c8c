import { z } from 'zod';
import type { MediaSlot } from '../media/worker-pool.js';

/**
 * What a leak would grow, counted from the mediasoup workers' own view (their `dump()`s, not our
 * bookkeeping): a transport, producer or consumer we forgot to close stays in its worker and shows
 * here even when every JavaScript reference to it is gone. `request_handler` is every object a
 * worker still answers requests for (routers, transports, producers, consumers, RTP observers...).
 */
export const MEDIASOUP_KINDS = [
  'router',
  'transport',
  'webrtc_transport',
  'producer',
  'consumer',
  'data_producer',
  'data_consumer',
  'request_handler',
] as const;
export type MediasoupKind = (typeof MEDIASOUP_KINDS)[number];
export type MediasoupCounts = Record<MediasoupKind, number>;

const ids = z.array(z.string());
const idMap = z.record(z.unknown());

/** The fields of mediasoup 3.12's Worker, Router and WebRtcServer dumps that the counts read. */
export const workerDumpSchema = z.object({
  routerIds: ids,
  channelMessageHandlers: z.object({ channelRequestHandlers: ids }),
});
export const routerDumpSchema = z.object({
  transportIds: ids,
  mapProducerIdConsumerIds: idMap,
  mapConsumerIdProducerId: idMap,
  mapDataProducerIdDataConsumerIds: idMap,
  mapDataConsumerIdDataProducerId: idMap,
});
export const webRtcServerDumpSchema = z.object({ webRtcTransportIds: ids });

export interface WorkerDumps {
  worker: z.infer<typeof workerDumpSchema>;
  routers: readonly z.infer<typeof routerDumpSchema>[];
  webRtcServers: readonly z.infer<typeof webRtcServerDumpSchema>[];
}

/** Sums the objects of several workers' dumps. */
export function countMediasoupObjects(dumps: readonly WorkerDumps[]): MediasoupCounts {
  const counts = Object.fromEntries(MEDIASOUP_KINDS.map((kind) => [kind, 0])) as MediasoupCounts;
  const add = (kind: MediasoupKind, value: number): void => {
    counts[kind] += value;
  };
  for (const { worker, routers, webRtcServers } of dumps) {
    add('router', worker.routerIds.length);
    add('request_handler', worker.channelMessageHandlers.channelRequestHandlers.length);
    for (const router of routers) {
      add('transport', router.transportIds.length);
      add('producer', Object.keys(router.mapProducerIdConsumerIds).length);
      add('consumer', Object.keys(router.mapConsumerIdProducerId).length);
      add('data_producer', Object.keys(router.mapDataProducerIdDataConsumerIds).length);
      add('data_consumer', Object.keys(router.mapDataConsumerIdDataProducerId).length);
    }
    for (const server of webRtcServers) add('webrtc_transport', server.webRtcTransportIds.length);
  }
  return counts;
}

/** Dumps every live worker of the pool (its worker, router and WebRtcServer) and counts. */
export async function readMediasoupCounts(slots: readonly MediaSlot[]): Promise<MediasoupCounts> {
  const dumps = await Promise.all(
    slots
      .filter((slot) => !slot.worker.died)
      .map(async (slot) => ({
        worker: workerDumpSchema.parse(await slot.worker.dump()),
        routers: [routerDumpSchema.parse(await slot.router.dump())],
        webRtcServers: [webRtcServerDumpSchema.parse(await slot.webRtcServer.dump())],
      })),
  );
  return countMediasoupObjects(dumps);
}
/**
 * Node's live handles and requests by type (`Timeout`, `TCPSocketWrap`, `FSReqCallback`...), from
 * `process.getActiveResourcesInfo()`: a timer or socket that is never cleared grows its type.
 */
export function activeResourcesByType(resources: readonly string[] = process.getActiveResourcesInfo()): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of resources) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}
