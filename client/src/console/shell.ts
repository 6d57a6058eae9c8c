import { byId, setShown } from '../dom.js';
import type { Me } from '../../../src/protocol/console-api.js';
import type { ConsoleView } from './keyboard.js';

/**
 * The page frame: which view is shown (`body[data-view]`), the signed-in moderator in the header,
 * the navigation (audit only for admins) and the logout button.
 */
export class Shell {
  readonly navQueue = byId('nav-queue', HTMLButtonElement);
  readonly navAudit = byId('nav-audit', HTMLButtonElement);
  readonly logout = byId('logout', HTMLButtonElement);
  readonly #nav = byId('console-nav', HTMLElement);
  readonly #user = byId('console-user', HTMLElement);
  readonly #views: Readonly<Record<ConsoleView, HTMLElement>> = {
    login: byId('console-login', HTMLElement),
    queue: byId('queue', HTMLElement),
    item: byId('item', HTMLElement),
    audit: byId('audit', HTMLElement),
  };
  #view: ConsoleView = 'login';

  get view(): ConsoleView {
    return this.#view;
  }

  show(view: ConsoleView): void {
    this.#view = view;
    document.body.dataset.view = view;
    for (const [name, section] of Object.entries(this.#views)) setShown(section, name === view);
    markCurrent(this.navQueue, view === 'queue' || view === 'item');
    markCurrent(this.navAudit, view === 'audit');
    window.scrollTo(0, 0);
  }

  /** The signed-in moderator, or null after logout / session end. */
  setUser(me: Me | null): void {
    this.#user.textContent = me === null ? '' : `${me.name} (${me.role})`;
    if (me === null) delete this.#user.dataset.role;
    else this.#user.dataset.role = me.role;
    setShown(this.#user, me !== null);
    setShown(this.#nav, me !== null);
    setShown(this.navAudit, me?.role === 'admin');
    setShown(this.logout, me !== null);
  }
}

function markCurrent(button: HTMLElement, current: boolean): void {
  if (current) button.setAttribute('aria-current', 'page');
  else button.removeAttribute('aria-current');
}
