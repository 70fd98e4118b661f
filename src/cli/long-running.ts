/** @module Marks the current command as a service that must not exit when its action returns. */
let active = false;
export function markLongRunning(): void {
  active = true;
}
export function isLongRunning(): boolean {
  return active;
}
