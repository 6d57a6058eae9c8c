import { byId, setShown } from '../dom.js';

/**
 * The evidence image: fetched with the session cookie, shown through a blob URL (revoked when
 * the item is left), blurred and grey (`.concealed`) until the moderator reveals it.
 */
export class EvidenceImage {
  readonly #image = byId('item-image', HTMLImageElement);
  readonly #status = byId('item-image-status', HTMLElement);
  readonly #reveal = byId('item-reveal', HTMLButtonElement);
  readonly #revealLabel = byId('item-reveal-label', HTMLElement);
  #url: string | null = null;
  #loading: AbortController | null = null;
  /** Called the first time the current item's image is unblurred (the server audits it). */
  #onFirstReveal: (() => void) | null = null;

  constructor() {
    this.#reveal.addEventListener('click', () => this.toggle());
    this.#image.addEventListener('click', () => this.toggle());
    // A blob the browser refuses (not an image, or blocked by the page's CSP).
    this.#image.addEventListener('error', () => {
      if (this.#url === null) return;
      setShown(this.#image, false);
      this.#status.textContent = 'The image could not be shown.';
      setShown(this.#status, true);
      this.#reveal.disabled = true;
    });
  }

  get concealed(): boolean {
    return this.#image.classList.contains('concealed');
  }

  /** Loads the image of a newly opened item; an earlier load still running is abandoned. */
  async load(fetchImage: (signal: AbortSignal) => Promise<Blob>, onFirstReveal: () => void): Promise<void> {
    this.clear();
    this.#onFirstReveal = onFirstReveal;
    const loading = new AbortController();
    this.#loading = loading;
    this.#status.textContent = 'Loading image…';
    setShown(this.#status, true);
    try {
      const blob = await fetchImage(loading.signal);
      if (loading.signal.aborted) return;
      this.#url = URL.createObjectURL(blob);
      this.#image.src = this.#url;
      setShown(this.#image, true);
      setShown(this.#status, false);
      this.#reveal.disabled = false;
    } catch (error) {
      if (loading.signal.aborted) return;
      this.#status.textContent = 'The image could not be loaded.';
      throw error;
    } finally {
      if (this.#loading === loading) this.#loading = null;
    }
  }

  /** A user report of a text chat: there is no image, and the page says why. */
  showNone(text: string): void {
    this.clear();
    this.#status.textContent = text;
    setShown(this.#status, true);
  }

  toggle(): void {
    if (this.#url === null) return;
    if (this.concealed && this.#onFirstReveal) {
      this.#onFirstReveal();
      this.#onFirstReveal = null;
    }
    this.#setConcealed(!this.concealed);
  }

  /** Back to the empty, concealed state; frees the image's memory. Idempotent. */
  clear(): void {
    this.#loading?.abort();
    this.#loading = null;
    this.#onFirstReveal = null;
    this.#setConcealed(true);
    this.#image.removeAttribute('src');
    setShown(this.#image, false);
    this.#reveal.disabled = true;
    if (this.#url !== null) URL.revokeObjectURL(this.#url);
    this.#url = null;
  }

  #setConcealed(concealed: boolean): void {
    this.#image.classList.toggle('concealed', concealed);
    this.#image.alt = concealed ? 'Evidence image, blurred' : 'Evidence image';
    this.#reveal.setAttribute('aria-pressed', String(!concealed));
    this.#revealLabel.textContent = concealed ? 'Reveal image' : 'Blur image';
  }
}
