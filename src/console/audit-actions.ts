/**
 * Everything the console audits (docs/console-api.md, "Audit log"). No imports: the browser's
 * console validates audit entries against this same list.
 */
export const AUDIT_ACTIONS = [
  'login',
  'login_failed',
  'logout',
  'view',
  /** The image was fetched (the console shows it blurred and greyscale). */
  'image',
  /** The moderator unblurred the image. */
  'reveal',
  'claim',
  'dismiss',
  'ban',
  'escalate_request',
  'escalate_confirm',
  'ban_lift',
  'audit_read',
  /** Account administration with the console-user command (actor `console-user`). */
  'account_add',
  'account_remove',
  'account_reset_totp',
  'account_passwd',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
