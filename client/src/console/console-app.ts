import type { ConsoleApi } from './api-client.js';
import { ApiError, NetworkError, SESSION_ENDED, claimedText, describeApiError, isApiError, isSessionEnded } from './api-error.js';
import type { ItemDetail, Me, QueueItem } from '../../../src/protocol/console-api.js';
import type { AuditView } from './audit-view.js';
import type { EvidenceImage } from './evidence-image.js';
import { banInForce, banResultText, escalationState, exportFilename } from './format.js';
import type { Credentials, LoginView } from './login-view.js';
import type { ItemDialogs } from './item-dialogs.js';
import type { ItemView } from './item-view.js';
import type { Command } from './keyboard.js';
import { assertUnreachable } from '../../../src/protocol/messages.js';
import { OpenItem } from './open-item.js';
import type { QueueView } from './queue-view.js';
import type { Shell } from './shell.js';

export const QUEUE_REFRESH_MS = 15_000;
export const QUEUE_PAGE_SIZE = 50;
export const AUDIT_PAGE_SIZE = 100;

export interface ConsoleParts {
  readonly api: ConsoleApi;
  readonly shell: Shell;
  readonly login: LoginView;
  readonly queue: QueueView;
  readonly item: ItemView;
  readonly image: EvidenceImage;
  readonly dialogs: ItemDialogs;
  readonly audit: AuditView;
}

/**
 * The console's behaviour: which view is shown, what each request does to it, and the one rule
 * for errors (a 401 goes back to the login view, anything else is said in the view's message line).
 */
export class ConsoleApp {
  readonly #p: ConsoleParts;
  #me: Me | null = null;
  #open: OpenItem | null = null;
  /** Bumped on every change of view; an answer that arrives for an older one is dropped. */
  #visit = 0;
  #queueTimer: ReturnType<typeof setInterval> | undefined;
  /** The visit whose queue request is in flight, if any. */
  #queueLoading: number | undefined;
  #lastItemId: string | undefined;

  constructor(parts: ConsoleParts) {
    this.#p = parts;
  }

  get openItemId(): string | undefined {
    return this.#open?.id;
  }

  /** On page load: an existing session goes straight to the queue. */
  async start(): Promise<void> {
    try {
      this.#signedIn(await this.#p.api.me());
    } catch (error) {
      this.#toLogin(isApiError(error) && error.status === 401 ? '' : describeApiError(error));
    }
  }

  async login(credentials: Credentials): Promise<void> {
    this.#p.login.setBusy(true);
    try {
      this.#signedIn(await this.#p.api.login(credentials.name, credentials.password, credentials.code));
    } catch (error) {
      this.#p.login.refused(describeApiError(error));
    }
  }

  async logout(): Promise<void> {
    await this.#leaveItem();
    try {
      await this.#p.api.logout();
      this.#toLogin('You are signed out.');
    } catch (error) {
      if (isSessionEnded(error)) this.#toLogin('You are signed out.');
      else this.#say(describeApiError(error));
    }
  }

  /** Runs a keyboard command of the current view. */
  run(command: Command): void {
    switch (command) {
      case 'queue-next':
      case 'queue-previous':
        this.#p.queue.move(command);
        return;
      case 'item-reveal':
        this.#p.image.toggle();
        return;
      case 'item-dismiss':
        if (this.#open && !this.#p.item.dismiss.disabled) this.#p.dialogs.openDismiss();
        return;
      case 'item-ban':
        if (this.#open && !this.#p.item.ban.disabled) this.#p.dialogs.openBan();
        return;
      case 'item-escalate':
        this.openEscalate();
        return;
      case 'item-release':
        void this.showQueue();
        return;
      default:
        assertUnreachable(command);
    }
  }

  // ---- queue ------------------------------------------------------------------------------------

  /** Shows the queue (releasing an open item first) and keeps it fresh while shown. */
  async showQueue(message = ''): Promise<void> {
    await this.#leaveItem();
    if (this.#me === null) return;
    const visit = this.#enter('queue');
    this.#p.queue.setMessage(message);
    await this.refreshQueue();
    if (visit === this.#visit) this.#p.queue.focus(this.#lastItemId);
    this.#queueTimer = setInterval(() => {
      if (!document.hidden) void this.refreshQueue();
    }, QUEUE_REFRESH_MS);
  }

  async refreshQueue(): Promise<void> {
    const visit = this.#visit;
    if (this.#queueLoading === visit || this.#p.shell.view !== 'queue' || this.#me === null) return;
    this.#queueLoading = visit;
    this.#p.queue.setBusy(true);
    try {
      const queue = await this.#p.api.queue(QUEUE_PAGE_SIZE, 0);
      if (visit === this.#visit) this.#p.queue.render(queue, this.#me.name, Date.now());
    } catch (error) {
      if (visit === this.#visit) this.#failed(error, (text) => this.#p.queue.setMessage(text));
    } finally {
      if (this.#queueLoading === visit) this.#queueLoading = undefined;
      if (visit === this.#visit) this.#p.queue.setBusy(false);
    }
  }

  // ---- item -------------------------------------------------------------------------------------

  /** Claims the item, then shows it; a claim held by someone else keeps the queue in view. */
  async openItem(item: QueueItem): Promise<void> {
    if (this.#me === null || this.#open !== null) return;
    const me = this.#me;
    const visit = this.#visit;
    this.#lastItemId = item.id;
    this.#p.queue.setMessage('Opening…');
    let open: OpenItem;
    try {
      open = await OpenItem.open(this.#p.api, item.id, {
        renewed: (expiresAt) => this.#p.item.setClaim(expiresAt),
        renewFailed: (error) => this.#renewFailed(error),
      });
    } catch (error) {
      if (visit !== this.#visit) return;
      if (isApiError(error, 'claimed')) {
        const holder = item.claimedBy !== null && item.claimedBy !== me.name ? item.claimedBy : null;
        this.#p.queue.setMessage(holder === null && error.message !== '' ? error.message : claimedText(holder));
      } else {
        this.#failed(error, (text) => this.#p.queue.setMessage(text));
      }
      if (isApiError(error, 'claimed') || isApiError(error, 'not_found')) void this.refreshQueue();
      return;
    }
    if (visit !== this.#visit || this.#me === null) {
      // The moderator went elsewhere meanwhile: give the claim back; if that fails the lease runs out.
      await open.close({ release: true }).catch(() => undefined);
      return;
    }
    this.#open = open;
    this.#enter('item');
    this.#p.item.reset(item.id);
    this.#renderItem(open, me);
    this.#p.item.focusTitle();
    const { detail } = open;
    if (detail.kind === 'report') {
      const about = detail.report ? `${detail.report.reason} in a ${detail.report.mode} chat` : 'a chat';
      this.#p.image.showNone(`A user report (${about}). Chats are never recorded, so there is no image: decide on the report and the history.`);
    } else {
      void this.#loadImage(open);
    }
  }

  /** Ban / dismiss / escalate / lift, called by the dialogs: null closes the dialog, text stays in it. */
  readonly actions = {
    dismiss: () =>
      this.#act(async (open) => {
        await this.#p.api.dismiss(open.id);
        // The item is gone, and the claim with it.
        await this.#dropItem()?.close({ release: false });
        this.#lastItemId = undefined;
        void this.showQueue('Item dismissed: its image and record are deleted.');
      }),
    ban: (days: number | null, reason: string) =>
      this.#act(async (open) => {
        const result = await this.#p.api.ban(open.id, days, reason);
        // The server released the claim with the ban: the item is no longer ours to work on.
        await this.#dropItem()?.close({ release: false });
        void this.showQueue(banResultText(result.referenceId, result.expiresAt));
      }),
    escalate: (note: string) =>
      this.#act(async (open) => {
        const outcome = await this.#p.api.escalate(open.id, note);
        if (outcome.status === 202) {
          // The request released our claim so that a second moderator can take the item.
          await this.#dropItem()?.close({ release: false });
          void this.showQueue('Escalation requested; a second moderator must confirm.');
          return;
        }
        open.update({ escalation: outcome.result.escalation, legalHold: true });
        if (this.#me !== null) this.#renderItem(open, this.#me);
        this.#p.item.offerExport(JSON.stringify(outcome.result.export, null, 2), exportFilename(open.id));
        this.#p.item.setMessage('Escalation confirmed. Under legal hold; the incident package is ready to download.');
      }),
    liftBan: () =>
      this.#act(async (open) => {
        const ban = this.#liftableBan(open);
        if (ban === null) return;
        let said: string;
        try {
          await this.#p.api.liftBan(open.detail.ipHash);
          said = `Ban ${ban.referenceId} lifted.`;
        } catch (error) {
          if (!(error instanceof ApiError && error.status === 404)) throw error;
          said = 'There is no ban in force for this address.';
        }
        await this.#reloadItem(open, said);
      }),
  };

  /** Admins only, and only while a ban of the item's address hash is in force. */
  openLiftBan(): void {
    const open = this.#open;
    if (open === null || this.#p.item.liftBan.disabled) return;
    const ban = this.#liftableBan(open);
    if (ban !== null) this.#p.dialogs.openLift(ban.referenceId);
  }

  openEscalate(): void {
    const open = this.#open;
    if (open === null || this.#p.item.escalate.disabled) return;
    const escalation = open.detail.escalation;
    const confirming = escalationState(escalation) === 'pending' && escalation !== null && escalation.requestedBy !== this.#me?.name;
    this.#p.dialogs.openEscalate(confirming, escalation?.requestedBy ?? null);
  }

  /**
   * Runs an item action. Problems with the form (400) or the connection stay in the dialog so
   * nothing typed is lost; every other outcome closes it and is said in the item's message line.
   */
  async #act(work: (open: OpenItem) => Promise<void>): Promise<string | null> {
    const open = this.#open;
    if (open === null) return null;
    try {
      await work(open);
      return null;
    } catch (error) {
      if (isSessionEnded(error)) {
        this.#sessionEnded();
        return null;
      }
      if (error instanceof NetworkError || (error instanceof ApiError && error.status === 400)) {
        return describeApiError(error);
      }
      this.#p.item.setMessage(describeApiError(error), 'error');
      return null;
    }
  }

  #liftableBan(open: OpenItem): ItemDetail['history']['bans'][number] | null {
    if (this.#me?.role !== 'admin') return null;
    return banInForce(open.detail.history.bans, Date.now());
  }

  #renderItem(open: OpenItem, me: Me): void {
    this.#p.item.render(open.detail, me.name, Date.now());
    this.#p.item.showLiftBan(this.#liftableBan(open) !== null);
  }

  /** Says what happened, then reads the item again so its history shows the change. */
  async #reloadItem(open: OpenItem, said: string): Promise<void> {
    if (this.#me !== null) this.#renderItem(open, this.#me);
    this.#p.item.setMessage(said);
    try {
      const fresh = await this.#p.api.item(open.id);
      if (this.#open !== open || this.#me === null) return;
      // The claim fields stay ours: renewal keeps them, the read may be older.
      open.update({ ...fresh, claimedBy: open.detail.claimedBy, claimExpiresAt: open.detail.claimExpiresAt });
      this.#renderItem(open, this.#me);
    } catch (error) {
      if (this.#open === open) this.#failed(error, (text) => this.#p.item.setMessage(`${said} The item could not be read again: ${text}`, 'error'));
    }
  }

  async #loadImage(open: OpenItem): Promise<void> {
    try {
      await this.#p.image.load(
        (signal) => this.#p.api.image(open.id, signal),
        () => void this.#p.api.reveal(open.id).catch((error: unknown) => this.#failed(error, (text) => this.#p.item.setMessage(text, 'error'))),
      );
    } catch (error) {
      if (this.#open === open) this.#failed(error, (text) => this.#p.item.setMessage(text, 'error'));
    }
  }

  #renewFailed(error: unknown): void {
    if (isSessionEnded(error)) {
      this.#sessionEnded();
      return;
    }
    const text = isApiError(error, 'claimed')
      ? 'Your claim ran out and another moderator took this item. Release it and go back to the queue.'
      : `Your claim could not be renewed: ${describeApiError(error)}`;
    this.#p.item.setMessage(text, 'error');
  }

  /** Leaves the open item: stops renewal, frees the image and package, releases the claim. */
  async #leaveItem(): Promise<void> {
    const open = this.#dropItem();
    if (open === null) return;
    try {
      await open.close({ release: true });
    } catch (error) {
      // The claim lease runs out by itself; only a session end changes what comes next.
      if (isSessionEnded(error)) this.#sessionEnded();
    }
  }

  /** The page is going away: release the claim with a request that outlives it. */
  pageHidden(): void {
    // Nothing can be shown any more: a failed release only means the lease runs out.
    void this.#dropItem()
      ?.close({ release: true, keepalive: true })
      .catch(() => undefined);
  }

  // ---- audit ------------------------------------------------------------------------------------

  async showAudit(): Promise<void> {
    await this.#leaveItem();
    if (this.#me?.role !== 'admin') return;
    this.#enter('audit');
    this.#p.audit.setMessage('');
    this.#p.audit.focusTitle();
    await this.loadAudit(false);
  }

  /** The newest page, or (`older`) the page before the oldest entry shown. */
  async loadAudit(older: boolean): Promise<void> {
    const visit = this.#visit;
    const before = older ? this.#p.audit.oldestId : undefined;
    this.#p.audit.setBusy(true);
    try {
      const page = await this.#p.api.audit(AUDIT_PAGE_SIZE, before);
      if (visit === this.#visit) {
        this.#p.audit.setMessage(older && page.entries.length === 0 ? 'No older entries.' : '');
        this.#p.audit.render(page.entries, older, AUDIT_PAGE_SIZE);
      }
    } catch (error) {
      if (visit === this.#visit) this.#failed(error, (text) => this.#p.audit.setMessage(text));
    } finally {
      this.#p.audit.setBusy(false);
    }
  }

  // ---- session and views ------------------------------------------------------------------------

  #signedIn(me: Me): void {
    this.#me = me;
    this.#p.shell.setUser(me);
    this.#p.login.setBusy(false);
    void this.showQueue();
  }

  #toLogin(message: string): void {
    this.#me = null;
    this.#p.api.forget();
    this.#p.shell.setUser(null);
    this.#enter('login');
    this.#p.login.enter(message);
  }

  #sessionEnded(): void {
    // The server forgot the session; the claim lease runs out by itself.
    void this.#dropItem()?.close({ release: false });
    this.#toLogin(SESSION_ENDED);
  }

  /** Forgets the open item and everything shown of it; the caller closes the returned item. */
  #dropItem(): OpenItem | null {
    const open = this.#open;
    this.#open = null;
    this.#p.dialogs.closeAll();
    this.#p.image.clear();
    this.#p.item.clearExport();
    return open;
  }

  /** Switches the view; stops the queue's auto-refresh. Returns the new visit number. */
  #enter(view: 'login' | 'queue' | 'item' | 'audit'): number {
    clearInterval(this.#queueTimer);
    this.#queueTimer = undefined;
    this.#p.shell.show(view);
    return ++this.#visit;
  }

  /** The one error rule: a session end goes to the login view; anything else is shown. */
  #failed(error: unknown, show: (text: string) => void): void {
    if (isSessionEnded(error)) this.#sessionEnded();
    else show(describeApiError(error));
  }

  /** A message for the view in sight (used where no view owns the request, e.g. logout). */
  #say(text: string): void {
    const view = this.#p.shell.view;
    if (view === 'queue') this.#p.queue.setMessage(text);
    else if (view === 'item') this.#p.item.setMessage(text, 'error');
    else if (view === 'audit') this.#p.audit.setMessage(text);
    else this.#p.login.showError(text);
  }
}
