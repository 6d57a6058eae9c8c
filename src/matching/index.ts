/** Pairing of waiting chatters: the Redis-backed matchmaker and the rules it applies. */
export { Matchmaker, type Match, type MatchmakerOptions } from './matchmaker.js';
export { compatible, type RuleContext, type WaitingTicket } from './match-rules.js';
export { normalizeTicket, type Ticket } from './ticket.js';
