/**
 * The protocol between Veil nodes sharing one Redis: what one node publishes on another's channel
 * (src/cluster/node-bus.ts). Events are fire-and-forget; requests carry a `requestId` and are
 * answered by a `reply` on the asker's channel before a deadline. Everything is validated on
 * arrival: a node never trusts a peer's bytes more than a browser's.
 *
 * Nothing here carries an address of a chatter: chatters are named by their per-visit id and
 * their keyed address hash, exactly as Redis already stores them. Node addresses are the nodes'
 * own internal addresses for media pipes.
 */
import { z } from 'zod';
import { MAX_CHAT_LENGTH, PARTNER_LEFT_REASONS } from './messages.js';

/** Node ids: what a channel name and a Redis key may carry. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const nodeId = z.string().regex(NODE_ID_PATTERN);
const sessionId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/);
const mediasoupId = z.string().min(1).max(128);
const ipHash = z.string().min(1).max(128);
const country = z
  .string()
  .regex(/^[A-Z]{2}$/)
  .nullable();
const opaque = z.record(z.string(), z.unknown());

/** Messages for a partner's browser that are passed on as they are. */
export const relayedMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('chat'),
    text: z
      .string()
      .min(1)
      .max(MAX_CHAT_LENGTH * 4),
  }),
  z.object({ type: z.literal('typing'), typing: z.boolean() }),
  z.object({ type: z.literal('partner.media'), audio: z.boolean(), video: z.boolean() }),
  z.object({ type: z.literal('partner.blur') }),
  z.object({ type: z.literal('partner.reconnecting') }),
  z.object({ type: z.literal('partner.back') }),
]);
export type RelayedMessage = z.infer<typeof relayedMessageSchema>;

/** One side of a pair as the other side's node knows it. */
export const pairSideSchema = z.object({ id: sessionId, node: nodeId, ipHash, country });
export type PairSide = z.infer<typeof pairSideSchema>;

const srtpParameters = z.object({ cryptoSuite: z.string().min(1).max(64), keyBase64: z.string().min(1).max(256) });
const pipeEndpoint = z.object({ ip: z.string().ip(), port: z.number().int().min(1).max(65535), srtpParameters: srtpParameters.optional() });
export type PipeEndpoint = z.infer<typeof pipeEndpoint>;

const exportedProducer = z.object({ id: mediasoupId, kind: z.enum(['audio', 'video']), rtpParameters: opaque, paused: z.boolean() });
export type ExportedProducer = z.infer<typeof exportedProducer>;

/** Requests, by type, with the data of their successful reply. */
export const nodeRequestSchema = z.discriminatedUnion('type', [
  /** "Your waiting chatter `to` was matched with `from`; take them?" */
  z.object({ type: z.literal('pair.offer'), to: sessionId, from: pairSideSchema, sharedInterests: z.array(z.string().max(128)).max(20) }),
  /** "Send the media of your chatter `chatterId` to my router `toRouterId`." */
  z.object({ type: z.literal('media.export'), chatterId: sessionId, toRouterId: mediasoupId }),
  /** "Open the other end of a pipe from my router to your router `toRouterId`, connected to `endpoint`." */
  z.object({ type: z.literal('pipe.open'), fromRouterId: mediasoupId, fromTransportId: mediasoupId, toRouterId: mediasoupId, endpoint: pipeEndpoint }),
]);
export type NodeRequest = z.infer<typeof nodeRequestSchema>;
export type NodeRequestType = NodeRequest['type'];

export const nodeReplyDataSchemas = {
  'pair.offer': z.discriminatedUnion('accepted', [z.object({ accepted: z.literal(true), side: pairSideSchema }), z.object({ accepted: z.literal(false) })]),
  'media.export': z.object({ transportId: mediasoupId, producers: z.array(exportedProducer).max(4) }),
  'pipe.open': z.object({ transportId: mediasoupId, endpoint: pipeEndpoint }),
} satisfies Record<NodeRequestType, z.ZodTypeAny>;
export type NodeReplyData = { [K in NodeRequestType]: z.infer<(typeof nodeReplyDataSchemas)[K]> };

/** Events: no answer is expected. */
export const nodeEventSchema = z.discriminatedUnion('type', [
  /** Pass `message` on to the browser of `to`, if `from` is still its partner. */
  z.object({ type: z.literal('partner.relay'), to: sessionId, from: sessionId, message: relayedMessageSchema }),
  /** `from` ended the pair with `to`. */
  z.object({ type: z.literal('partner.left'), to: sessionId, from: sessionId, reason: z.enum(PARTNER_LEFT_REASONS) }),
  /** An offer was given up before its answer arrived: if `to` accepted it, undo that. */
  z.object({ type: z.literal('pair.cancel'), to: sessionId, from: sessionId }),
  /** `chatterId` was reported (report `referenceId`): sample their video for review. */
  z.object({ type: z.literal('report.sample'), chatterId: sessionId, referenceId: z.string().min(1).max(64) }),
  /** The producer behind a pipe producer on the receiver's end of pipe `transportId` is gone. */
  z.object({ type: z.literal('pipe.producerclosed'), transportId: mediasoupId, producerId: mediasoupId }),
  /** The sender's end of the pipe whose receiver's end is `transportId` closed: close this end too. */
  z.object({ type: z.literal('pipe.closed'), transportId: mediasoupId }),
]);
export type NodeEvent = z.infer<typeof nodeEventSchema>;
export type NodeEventType = NodeEvent['type'];

/** Everything published on a node's channel. */
export const nodeEnvelopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('event'), from: nodeId, event: nodeEventSchema }),
  z.object({ kind: z.literal('request'), from: nodeId, requestId: z.number().int().nonnegative(), request: nodeRequestSchema }),
  z.object({
    kind: z.literal('reply'),
    from: nodeId,
    requestId: z.number().int().nonnegative(),
    ok: z.boolean(),
    data: z.unknown().optional(),
    error: z.string().max(500).optional(),
  }),
]);
export type NodeEnvelope = z.infer<typeof nodeEnvelopeSchema>;

/** Largest message a node accepts from another (a media.export reply with four producers fits easily). */
export const MAX_NODE_MESSAGE_BYTES = 64 * 1024;
