/**
 * Moderator console (client/console.html, served at /console/): composition and page events.
 * API contract: docs/console-api.md.
 *
 * Stable hooks for end-to-end tests (do not rename without updating the tests):
 *
 *   body[data-view]            login | queue | item | audit
 *   #console-user              "name (role)", also data-role; hidden when signed out
 *   #logout                    Log out button
 *   #nav-queue, #nav-audit     navigation (#nav-audit only shown for role admin)
 *
 *   Login      #console-login, #login-name, #login-password, #login-code, #login-submit,
 *              #login-error (role=alert: refusals, "Your session ended. Log in again.")
 *   Queue      #queue, #queue-refresh, #queue-message (aria-live), #queue-count,
 *              rows .queue-item[data-id][data-reason][data-tone] (buttons; j/k move, Enter opens)
 *              badges inside a row: .badge[data-badge=hold|claimed|escalation-pending|escalation-confirmed]
 *   Item       #item, #item-title, #item-badges, #item-message (aria-live, data-tone=info|error),
 *              #item-image (class "concealed" while blurred), #item-reveal (r), #item-hash,
 *              #item-dismiss (d) -> #dismiss-dialog, #dismiss-confirm, #dismiss-cancel
 *              #item-ban (b) -> #ban-dialog, #ban-days (1|7|30|90|permanent), #ban-reason,
 *                               #ban-confirm, #ban-cancel, #ban-error
 *              #item-escalate (e) -> #escalate-dialog, #escalate-note, #escalate-confirm,
 *                               #escalate-cancel, #escalate-error
 *              #lift-ban (admins, while a ban of the history is in force) -> #lift-dialog,
 *                               #lift-confirm, #lift-cancel, #lift-error
 *              #item-export (download link of the incident package, after a confirmed escalation)
 *              #item-release (Esc): releases the claim, back to the queue
 *   Audit      #audit, #audit-newest, #audit-older, #audit-message,
 *              rows .audit-entry[data-action][data-id]
 */
import { byId } from '../dom.js';
import { ConsoleApi } from './api-client.js';
import { AuditView } from './audit-view.js';
import { ConsoleApp } from './console-app.js';
import { EvidenceImage } from './evidence-image.js';
import { ItemDialogs } from './item-dialogs.js';
import { ItemView } from './item-view.js';
import { commandFor } from './keyboard.js';
import { LoginView } from './login-view.js';
import { QueueView } from './queue-view.js';
import { Shell } from './shell.js';

function main(): void {
  const shell = new Shell();
  const item = new ItemView();
  const audit = new AuditView();
  // The views call back into the app, which is built from the views: the callbacks run only on
  // user input, after `app` exists.
  const login = new LoginView((credentials) => void app.login(credentials));
  const queue = new QueueView((queued) => void app.openItem(queued));
  const dialogs = new ItemDialogs({
    dismiss: () => app.actions.dismiss(),
    ban: (days, reason) => app.actions.ban(days, reason),
    escalate: (note) => app.actions.escalate(note),
    liftBan: () => app.actions.liftBan(),
  });
  const image = new EvidenceImage();
  const app: ConsoleApp = new ConsoleApp({ api: new ConsoleApi(), shell, login, queue, item, image, dialogs, audit });

  shell.logout.addEventListener('click', () => void app.logout());
  shell.navQueue.addEventListener('click', () => void app.showQueue());
  shell.navAudit.addEventListener('click', () => void app.showAudit());
  queue.refresh.addEventListener('click', () => void app.refreshQueue());
  item.dismiss.addEventListener('click', () => app.run('item-dismiss'));
  item.ban.addEventListener('click', () => app.run('item-ban'));
  item.escalate.addEventListener('click', () => app.run('item-escalate'));
  item.release.addEventListener('click', () => app.run('item-release'));
  item.liftBan.addEventListener('click', () => app.openLiftBan());
  audit.newest.addEventListener('click', () => void app.loadAudit(false));
  audit.older.addEventListener('click', () => void app.loadAudit(true));

  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    const command = commandFor(shell.view, {
      key: event.key,
      ctrlKey: event.ctrlKey,
      metaKey: event.metaKey,
      altKey: event.altKey,
      inEditable: isEditable(event.target),
      dialogOpen: document.querySelector('dialog[open]') !== null,
    });
    if (command === null) return;
    event.preventDefault();
    if (!event.repeat) app.run(command);
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void app.refreshQueue();
  });
  window.addEventListener('pagehide', () => app.pageHidden());
  // A page restored from the back-forward cache has given its claim back: start afresh.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) window.location.reload();
  });

  byId('login-name', HTMLInputElement).focus();
  void app.start();
}

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['button', 'checkbox', 'radio', 'submit', 'reset'].includes(target.type);
}

main();
