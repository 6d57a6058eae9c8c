import { banMessage } from '../bans/ban-store.js';
import { logger } from '../logging/logger.js';
import type { Matchmaker } from '../matching/matchmaker.js';
import type { ModerationAction } from '../moderation/moderator.js';
import { assertUnreachable } from '../protocol/messages.js';
import type { Chatter } from './chatter.js';
import type { Pairing } from './pairing.js';
import type { Suspensions } from './suspensions.js';

const log = logger('lobby');
const ENDED_BY_MODERATION = 'Your connection was ended by moderation for a child-safety violation.';

export interface EnforcementParts {
  chatters: ReadonlyMap<string, Chatter>;
  matchmaker: Matchmaker;
  pairing: Pairing;
  suspensions: Suspensions;
}

/** Carries out what moderation decided about a chatter (who may have left meanwhile). */
export function enforce(parts: EnforcementParts, action: ModerationAction): void {
  const chatter = parts.chatters.get(action.chatterId);
  if (!chatter) return;
  const done = chatter.serialize(async () => {
    // A chatter suspended after a drop cannot be told, but must not come back to what moderation ended.
    if (chatter.gone && action.type !== 'blur') await parts.suspensions.end(chatter);
    if (chatter.gone) return;
    switch (action.type) {
      case 'ban':
        if (chatter.state === 'waiting') await parts.matchmaker.leave(chatter.id);
        if (chatter.state === 'paired') parts.pairing.unpair(chatter, 'disconnected');
        chatter.state = 'idle';
        chatter.connection.closeWith('banned', action.ban ? banMessage(action.ban) : ENDED_BY_MODERATION);
        return;
      case 'end_pair':
        if (chatter.state !== 'paired') return;
        parts.pairing.unpair(chatter, 'disconnected');
        chatter.connection.send({ type: 'partner.left', reason: 'moderation' });
        return;
      case 'blur':
        chatter.partner?.relay({ type: 'partner.blur' });
        return;
      default:
        assertUnreachable(action);
    }
  });
  done.catch((error: Error) => log.error({ chatter: chatter.id, action: action.type, err: error.message }, 'moderation action failed'));
}
