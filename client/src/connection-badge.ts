import { byId, setShown } from './dom.js';
import type { Signaling } from './signaling.js';

/** The small connection note in the header, and the online count on the landing page. */
export function showConnection(signaling: Signaling): void {
  const badge = byId('connection', HTMLElement);
  const text = byId('connection-text', HTMLElement);
  const reconnect = byId('reconnect', HTMLButtonElement);
  const onlineLine = byId('online-line', HTMLElement);
  const onlineCount = byId('online-count', HTMLElement);

  const render = (): void => {
    const status = signaling.status;
    badge.dataset.status = status;
    setShown(badge, status !== 'open');
    setShown(reconnect, status === 'closed');
    text.textContent =
      status === 'connecting' ? 'Connecting…' : status === 'reconnecting' ? 'Reconnecting…' : status === 'closed' ? 'Disconnected' : 'Connected';
    if (status !== 'open') setShown(onlineLine, false);
  };
  const setOnline = (count: number): void => {
    onlineCount.textContent = String(count);
    setShown(onlineLine, true);
  };

  signaling.on('status', render);
  signaling.on('push', (message) => {
    if (message.type === 'welcome') setOnline(message.online);
    else if (message.type === 'online') setOnline(message.count);
  });
  reconnect.addEventListener('click', () => signaling.connect());
  render();
}
