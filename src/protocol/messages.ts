/**
 * The signaling protocol between browser and server: the one source of truth for both sides.
 * Every client message carries a numeric `id`; the server answers each with a `response` carrying
 * the same id (ok + data, or an error code). Server pushes carry no id.
 */
import { z } from 'zod';

export const CHAT_MODES = ['video', 'text'] as const;
export type ChatMode = (typeof CHAT_MODES)[number];

export const MAX_INTERESTS = 10;
export const MAX_INTEREST_LENGTH = 32;
export const MAX_COUNTRIES = 20;
export const MAX_CHAT_LENGTH = 500;

export const REPORT_REASONS = ['nudity', 'minor', 'harassment', 'spam', 'hate', 'violence', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

/** Interest tags are compared case-insensitively and without surrounding blanks. */
export function normalizeInterest(tag: string): string {
  return tag.trim().toLowerCase().replace(/\s+/g, ' ');
}

const interest = z
  .string()
  .transform(normalizeInterest)
  .pipe(z.string().min(1, 'empty interest').max(MAX_INTEREST_LENGTH, `interests are at most ${MAX_INTEREST_LENGTH} characters`));
const countryCode = z.string().regex(/^[A-Z]{2}$/, 'country codes are two capital letters (ISO 3166-1 alpha-2)');
const id = z.number().int().nonnegative();
const opaque = z.record(z.string(), z.unknown());

/** A resume token: 256 random bits, base64url without padding. */
export const RESUME_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    id,
    mode: z.enum(CHAT_MODES),
    interests: z.array(interest).max(MAX_INTERESTS).default([]),
    countries: z.array(countryCode).max(MAX_COUNTRIES).default([]),
  }),
  z.object({ type: z.literal('next'), id }),
  z.object({ type: z.literal('stop'), id }),
  z.object({ type: z.literal('chat'), id, text: z.string().min(1).max(MAX_CHAT_LENGTH) }),
  z.object({ type: z.literal('typing'), id, typing: z.boolean() }),
  z.object({ type: z.literal('report'), id, reason: z.enum(REPORT_REASONS) }),
  z.object({ type: z.literal('media.capabilities'), id }),
  z.object({ type: z.literal('media.transports'), id, rtpCapabilities: opaque }),
  z.object({ type: z.literal('media.connect'), id, direction: z.enum(['send', 'recv']), dtlsParameters: opaque }),
  z.object({ type: z.literal('media.produce'), id, kind: z.enum(['audio', 'video']), rtpParameters: opaque }),
  z.object({ type: z.literal('media.pause'), id, kind: z.enum(['audio', 'video']), paused: z.boolean() }),
  z.object({ type: z.literal('media.ready'), id, consumerIds: z.array(z.string().max(64)).max(4) }),
  /** The first request on a new socket after a drop: take over the chatter the token was issued to. */
  z.object({ type: z.literal('resume'), id, token: z.string().regex(RESUME_TOKEN_PATTERN, 'not a resume token') }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];

export const ERROR_CODES = [
  'bad_json',
  'bad_message',
  'wrong_state',
  'rate_limited',
  'too_large',
  'chat_blocked',
  'media_unavailable',
  'banned',
  'resume_refused',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const PARTNER_LEFT_REASONS = ['next', 'stop', 'disconnected', 'media_failure', 'moderation'] as const;
export type PartnerLeftReason = (typeof PARTNER_LEFT_REASONS)[number];

export const CLOSE_REASONS = ['flooding', 'abuse', 'server_shutdown', 'replaced', 'banned'] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** The WebSocket close code (private range) of each reason; the close frame's reason text is the CloseReason. */
export const CLOSE_CODES: Readonly<Record<CloseReason, number>> = { flooding: 4001, abuse: 4002, server_shutdown: 4003, replaced: 4004, banned: 4005 };

/**
 * The close code a page sends when it judges its connection dead (nothing from the server for a
 * while) and is about to resume on a new one: to the server a drop, like a close frame never
 * received, not a leave. Outside CLOSE_CODES: the server never sends it.
 */
export const GAVE_UP_CLOSE_CODE = 4100;

/** The reason a close code stands for, or null for a code that is not one of ours. */
export function closeReasonOf(code: number): CloseReason | null {
  return CLOSE_REASONS.find((reason) => CLOSE_CODES[reason] === code) ?? null;
}

/**
 * The spatial layers a simulcast sender encodes, lowest first: how much smaller than the camera each
 * is, and its bitrate cap (docs/simulcast.md).
 */
export const SIMULCAST_LAYERS: readonly { scaleResolutionDownBy: number; maxBitrate: number }[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 100_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 300_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 900_000 },
];

/** The server's `media.layers` push, checked by the client before it says anything about it. */
export const mediaLayersSchema = z.object({
  type: z.literal('media.layers'),
  spatialLayer: z
    .number()
    .int()
    .min(0)
    .max(SIMULCAST_LAYERS.length - 1)
    .nullable(),
  of: z.number().int().min(1).max(SIMULCAST_LAYERS.length),
});

export interface ConsumerDescription {
  id: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: Record<string, unknown>;
}

export interface TransportDescription {
  id: string;
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: Record<string, unknown>;
}

/**
 * Opus frame lengths a server may ask senders for (ms of audio per packet; config `opusPtimeMs`).
 * Longer frames mean fewer packets for the SFU to decrypt and forward, at that much more delay
 * (docs/BENCHMARKS.md, "Opus frame length").
 */
export const OPUS_PTIMES_MS = [10, 20, 40, 60] as const;
export type OpusPtimeMs = (typeof OPUS_PTIMES_MS)[number];
export const DEFAULT_OPUS_PTIME_MS: OpusPtimeMs = 20;

export function isOpusPtime(value: unknown): value is OpusPtimeMs {
  return OPUS_PTIMES_MS.some((ptime) => ptime === value);
}

/**
 * How the server asks browsers to send: video as SIMULCAST_LAYERS or one encoding, the Opus frame
 * length, and whether Opus stops sending while the microphone is silent (DTX: one packet per 400 ms
 * instead of one per frame; the receiver plays comfort noise).
 */
export interface SenderSettings {
  simulcast: boolean;
  opusPtimeMs: OpusPtimeMs;
  opusDtx: boolean;
}

/**
 * The sender settings a client takes from a `media.capabilities` answer: anything missing or
 * malformed (an older server, a bad answer) leaves the browser's own default (one encoding, 20 ms,
 * no DTX).
 */
export function senderSettingsFrom(answer: Partial<Record<keyof SenderSettings, unknown>>): SenderSettings {
  return {
    simulcast: answer.simulcast === true,
    opusPtimeMs: isOpusPtime(answer.opusPtimeMs) ? answer.opusPtimeMs : DEFAULT_OPUS_PTIME_MS,
    opusDtx: answer.opusDtx === true,
  };
}

/** The `data` of a successful response, per request type (undefined where not listed). */
export interface ResponseData {
  start: undefined;
  next: undefined;
  stop: undefined;
  /** The text as delivered to the partner (masked where the filter censored it). */
  chat: { text: string };
  typing: undefined;
  report: { referenceId: string };
  /** `simulcast`: send video as the spatial layers of SIMULCAST_LAYERS (else one encoding); `opusPtimeMs`: the audio frame length; `opusDtx`: no audio packets in silence. */
  'media.capabilities': { routerRtpCapabilities: Record<string, unknown> } & SenderSettings;
  'media.transports': { send: TransportDescription; recv: TransportDescription };
  'media.connect': undefined;
  'media.produce': { producerId: string };
  'media.pause': undefined;
  'media.ready': undefined;
  resume: ResumedState;
}

/** What a resumed chatter gets back: its state, a new token, and new ICE parameters for its transports. */
export interface ResumedState {
  /** The chatter's next resume token (each one works once). */
  token: string;
  /** 'paired': the same partner is still there; 'idle': the partner left during the drop. */
  state: 'idle' | 'waiting' | 'paired';
  /** Restarted ICE of the existing transports, or null without media. */
  iceParameters: { send: Record<string, unknown>; recv: Record<string, unknown> } | null;
}

export type ServerMessage =
  | {
      type: 'welcome';
      online: number;
      maxChatLength: number;
      /** Kept in memory only: lets this page resume the chatter if the socket drops (see docs/resume.md). */
      resumeToken: string;
      /** This node's id (VEIL_NODE_ID): a resuming page asks the front door for it, `/ws?node=<id>`. */
      node: string;
      /** The server sends something at least this often (`alive` when it has nothing else): silence for longer means the socket is dead. */
      aliveEveryMs: number;
    }
  /** Nothing else to say: the socket still works (see `welcome.aliveEveryMs`). */
  | { type: 'alive' }
  | { type: 'online'; count: number }
  | { type: 'response'; id: number; ok: true; data?: unknown }
  | { type: 'response'; id: number; ok: false; error: { code: ErrorCode; message: string } }
  | { type: 'error'; error: { code: ErrorCode; message: string } }
  | { type: 'waiting' }
  | {
      type: 'paired';
      mode: ChatMode;
      sharedInterests: string[];
      /** Only sent to a chatter who filters by country. */
      partnerCountry?: string;
    }
  | { type: 'partner.left'; reason: PartnerLeftReason }
  | { type: 'partner.media'; audio: boolean; video: boolean }
  /** Moderation flagged the partner's video: show it blurred until the next partner. */
  | { type: 'partner.blur' }
  /** The partner's connection dropped; they may be back within the resume grace. */
  | { type: 'partner.reconnecting' }
  /** The partner resumed after a drop. */
  | { type: 'partner.back' }
  | { type: 'media.consume'; consumers: ConsumerDescription[] }
  | { type: 'media.reset'; reason: string }
  /** The layer of the partner's video the SFU now sends us (0 = lowest of `of`; null = none), as the link allows. */
  | { type: 'media.layers'; spatialLayer: number | null; of: number }
  | { type: 'chat'; text: string }
  | { type: 'chat.warning'; message: string }
  | { type: 'typing'; typing: boolean }
  | { type: 'closing'; reason: CloseReason; message: string };
export type ServerMessageType = ServerMessage['type'];

/** Human text for each error code, shown by the client. */
export const ERROR_TEXT: Record<ErrorCode, string> = {
  bad_json: 'The app sent something the server could not read. Reload the page.',
  bad_message: 'The app sent a request the server does not understand. Reload the page.',
  wrong_state: 'That action is not possible right now.',
  rate_limited: 'Slow down a little.',
  too_large: 'That message is too large.',
  chat_blocked: 'Your message was not sent.',
  media_unavailable: 'Video is not available right now. Try again, or use Text only.',
  banned: 'You cannot use Veil right now.',
  resume_refused: 'The connection was lost for too long. Starting again.',
  internal: 'Something went wrong on our side. Try again.',
};

/** The end of every exhaustive dispatch: the compiler refuses a case left out; at run time it throws. */
export function assertUnreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
