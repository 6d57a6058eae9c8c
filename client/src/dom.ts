/** Small, typed DOM helpers. A missing or mistyped element is a page bug: fail loudly at start-up. */

type ElementClass<T extends HTMLElement> = { new (): T; prototype: T };

export function byId<T extends HTMLElement>(id: string, type: ElementClass<T>): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) {
    throw new TypeError(`byId() | #${id} is missing or not a ${type.name}`);
  }
  return element;
}

export function setShown(element: HTMLElement, shown: boolean): void {
  element.hidden = !shown;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}
