/** Ends an exhaustive switch: adding a case to a union without handling it fails to compile. */
export function assertUnreachable(value: never): never {
  throw new TypeError(`unhandled case: ${JSON.stringify(value)}`);
}
