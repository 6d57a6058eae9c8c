import { byId } from '../dom.js';

export interface Credentials {
  readonly name: string;
  readonly password: string;
  readonly code: string;
}

/** What the form says before it is sent, or null when it can be sent. */
export function checkCredentials(credentials: Credentials): string | null {
  if (credentials.name.trim() === '' || credentials.password === '') return 'Enter your name and password.';
  if (!/^\d{6}$/.test(credentials.code.trim())) return 'Enter the 6-digit code from your authenticator app.';
  return null;
}

/** The sign-in form. The password and code are cleared after every attempt. */
export class LoginView {
  readonly #form = byId('login-form', HTMLFormElement);
  readonly #name = byId('login-name', HTMLInputElement);
  readonly #password = byId('login-password', HTMLInputElement);
  readonly #code = byId('login-code', HTMLInputElement);
  readonly #submit = byId('login-submit', HTMLButtonElement);
  readonly #error = byId('login-error', HTMLElement);

  constructor(onSubmit: (credentials: Credentials) => void) {
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      const credentials = {
        name: this.#name.value.trim(),
        password: this.#password.value,
        code: this.#code.value.trim(),
      };
      const problem = checkCredentials(credentials);
      if (problem !== null) {
        this.showError(problem);
        return;
      }
      onSubmit(credentials);
    });
  }

  /** Shows the form with a message (e.g. "Your session ended") and focuses the first empty field. */
  enter(message: string): void {
    this.#password.value = '';
    this.#code.value = '';
    this.setBusy(false);
    this.showError(message);
    (this.#name.value === '' ? this.#name : this.#password).focus();
  }

  setBusy(busy: boolean): void {
    this.#submit.disabled = busy;
    this.#submit.textContent = busy ? 'Signing in…' : 'Sign in';
  }

  showError(message: string): void {
    this.#error.textContent = message;
  }

  /** After a refused attempt: the code is single-use, the password may be mistyped. */
  refused(message: string): void {
    this.setBusy(false);
    this.showError(message);
    this.#code.value = '';
    this.#password.value = '';
    this.#password.focus();
  }
}
