import type { ChatMode } from '../../src/protocol/messages.js';
import { CountryFilter } from './country-filter.js';
import { byId, setShown } from './dom.js';
import { InterestInput } from './interests.js';
import type { PrefsStore } from './prefs.js';

export interface ChatSettings {
  mode: ChatMode;
  interests: string[];
  countries: string[];
}

/**
 * The landing form: the 18+ and terms confirmation gates the two start buttons; interests and the
 * country filter are remembered in the preference cookie as they change.
 */
export class Landing {
  readonly #interests: InterestInput;
  readonly #countries: CountryFilter;
  readonly #age = byId('age-confirm', HTMLInputElement);
  readonly #startVideo = byId('start-video', HTMLButtonElement);
  readonly #startText = byId('start-text', HTMLButtonElement);
  readonly #hint = byId('start-hint', HTMLElement);

  constructor(prefs: PrefsStore, onStart: (settings: ChatSettings) => void) {
    const initial = prefs.value;
    this.#interests = new InterestInput(
      byId('interest-input', HTMLInputElement),
      byId('interest-tags', HTMLElement),
      byId('interest-error', HTMLElement),
      initial.interests,
      (tags) => prefs.update({ interests: [...tags] }),
    );
    this.#countries = new CountryFilter(
      {
        select: byId('country-filter', HTMLSelectElement),
        search: byId('country-search', HTMLInputElement),
        summary: byId('country-summary', HTMLElement),
        clear: byId('country-clear', HTMLButtonElement),
        error: byId('country-error', HTMLElement),
      },
      initial.countries,
      (codes) => prefs.update({ countries: [...codes] }),
    );

    this.#age.checked = initial.ageConfirmed;
    this.#age.addEventListener('change', () => {
      prefs.update({ ageConfirmed: this.#age.checked });
      this.#renderGate();
    });
    this.#renderGate();

    const remember = byId('remember', HTMLInputElement);
    remember.checked = initial.remember;
    remember.addEventListener('change', () => prefs.update({ remember: remember.checked }));

    const start = (mode: ChatMode): void => {
      if (!this.#age.checked) return;
      this.#interests.commitPending();
      prefs.update({ mode });
      onStart(this.settings(mode));
    };
    this.#startVideo.addEventListener('click', () => start('video'));
    this.#startText.addEventListener('click', () => start('text'));
    // The mode used last time is the highlighted one.
    if (initial.mode === 'text') {
      this.#startText.classList.add('primary');
      this.#startVideo.classList.remove('primary');
    }
  }

  settings(mode: ChatMode): ChatSettings {
    return { mode, interests: [...this.#interests.tags], countries: [...this.#countries.codes] };
  }

  #renderGate(): void {
    const ok = this.#age.checked;
    this.#startVideo.disabled = !ok;
    this.#startText.disabled = !ok;
    setShown(this.#hint, !ok);
  }
}
