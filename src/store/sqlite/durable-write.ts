/** @module Writes that resolve only once the database says they are durable (see `WalSync`). */
import { guard } from './sqlite-errors.js';

/** `SqliteDatabase.durable`: resolves once every commit made before the call is durable. */
export type Durable = () => Promise<void>;

/** For stores opened without a database barrier (tests, tools): a commit is as durable as it gets. */
export const NO_BARRIER: Durable = () => Promise.resolve();

/** Runs one synchronous write (driver errors become catalogue errors) and resolves once it is durable. */
export async function durableWrite<T>(durable: Durable, fn: () => T): Promise<T> {
  const value = guard(fn);
  await durable();
  return value;
}
