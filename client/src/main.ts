import { showConnection } from './connection-badge.js';
import { byId } from './dom.js';
import { Landing } from './landing.js';
import { loadPrefs, PrefsStore, THEMES, type Theme } from './prefs.js';
import { ReportDialog } from './report-dialog.js';
import { ChatSession } from './session.js';
import { Signaling } from './signaling.js';
import { installTestHook } from './test-hook.js';
import { applyTheme } from './theme.js';
import { ChatView } from './views.js';

/** Composition: builds the pieces and wires the page's buttons to them. */
function main(): void {
  const prefs = new PrefsStore(loadPrefs());
  setupTheme(prefs);
  // The policy pages load this script only for the theme.
  if (!document.getElementById('chat-view')) return;

  const signaling = new Signaling({ url: Signaling.defaultUrl() });
  const view = new ChatView();
  const session = new ChatSession(signaling, view);
  const report = new ReportDialog((reason) => session.report(reason));
  new Landing(prefs, (settings) => session.start(settings));
  showConnection(signaling);
  view.setState('landing', '', false);

  view.next.addEventListener('click', () => void session.next());
  view.stop.addEventListener('click', () => void session.stop());
  view.startAgain.addEventListener('click', () => session.startAgain());
  view.backHome.addEventListener('click', () => void session.home());
  view.report.addEventListener('click', () => report.open());
  view.mute.addEventListener('click', () => void session.toggle('audio'));
  view.camera.addEventListener('click', () => void session.toggle('video'));
  view.useTextOnly.addEventListener('click', () => {
    prefs.update({ mode: 'text' });
    session.useTextOnly();
  });
  view.retryCamera.addEventListener('click', () => session.startAgain());
  view.chatInput.addEventListener('input', () => session.chatInput());
  view.chatForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = view.chatInput.value.trim();
    view.chatInput.value = '';
    // A refused message is not lost: it goes back into the box, unless something new was typed there.
    void session.sendChat(text).then((sent) => {
      if (!sent && view.chatInput.value === '') view.chatInput.value = text;
    });
  });
  byId('brand', HTMLAnchorElement).addEventListener('click', (event) => {
    if (session.state === 'landing') return;
    event.preventDefault();
    void session.home();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || report.isOpen || event.defaultPrevented) return;
    const state = session.state;
    if (state === 'waiting' || state === 'paired' || state === 'partner-left') {
      event.preventDefault();
      void session.next();
    }
  });

  installTestHook(session.video);
  signaling.connect();
}

function setupTheme(prefs: PrefsStore): void {
  const toggle = byId('theme-toggle', HTMLButtonElement);
  applyTheme(prefs.value.theme, toggle);
  toggle.addEventListener('click', () => {
    const next = toggle.dataset.next;
    const theme: Theme | undefined = THEMES.find((t) => t === next);
    prefs.update({ theme });
    applyTheme(theme, toggle);
  });
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', () => {
    applyTheme(prefs.value.theme, toggle);
  });
}

main();
