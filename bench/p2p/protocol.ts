/**
 * The messages of the P2P baseline's signaling (bench/p2p/server.ts and bench/p2p/page.ts): what a
 * peer-to-peer roulette needs on Next and no more. A page asks for its next partner; the server
 * pairs it with the one waiting page and says which of the two makes the offer; offers, answers
 * and trickled ICE candidates are relayed to the current partner untouched.
 */
import { z } from 'zod';

const description = { sdp: z.string().min(1).max(20_000) };

/** Relayed to the partner as they are. */
export const relayedMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('offer'), ...description }),
  z.object({ type: z.literal('answer'), ...description }),
  z.object({
    type: z.literal('candidate'),
    candidate: z.object({
      candidate: z.string().max(1_000),
      sdpMid: z.string().max(64).nullable(),
      sdpMLineIndex: z.number().int().min(0).max(64).nullable(),
    }),
  }),
]);
export type RelayedMessage = z.infer<typeof relayedMessage>;

/** Page → server. `next` leaves the current partner, if any, and asks for another one. */
export const pageMessage = z.union([z.object({ type: z.literal('next') }), relayedMessage]);
export type PageMessage = z.infer<typeof pageMessage>;

/** Server → page. */
export const serverMessage = z.union([
  z.object({ type: z.literal('waiting') }),
  z.object({ type: z.literal('paired'), offerer: z.boolean() }),
  z.object({ type: z.literal('partner-left') }),
  relayedMessage,
]);
export type ServerMessage = z.infer<typeof serverMessage>;

/** Largest message either side accepts, in bytes (an offer with trickled candidates is ~5 kB). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
