/**
 * Who owns the code running now, and a process-wide net for errors that escape every call the agent makes.
 * The agent calls each source and sink inside `runAs(owner)`; timers, promises and event handlers started in
 * that call inherit the owner (AsyncLocalStorage), so an exception thrown later from a sink's own timer, or a
 * promise it forgot to catch, is charged to that sink instead of ending the process.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const owner = new AsyncLocalStorage<string>();

/** Runs `fn` as `who` (`sink:NAME`, `source:NAME`, `module:PATH`): what it starts is charged to `who`. */
export function runAs<T>(who: string, fn: () => T): T {
  return owner.run(who, fn);
}

/** The owner of the code running now, when it was started inside `runAs`. */
export function currentOwner(): string | undefined {
  return owner.getStore();
}

/** What the net does with an escaped error: `who` is its owner, undefined when no `runAs` started it. */
export type EscapedHandler = (err: unknown, who: string | undefined) => void;

/**
 * Installs handlers for `uncaughtException` and `unhandledRejection` that pass each error to `onEscaped` and
 * keep the process running (the agent outlives a user module's bug). Returns the uninstaller. Meant for the
 * CLI, which owns the process; a library embedding the agent decides for itself.
 */
export function containEscapes(onEscaped: EscapedHandler): () => void {
  const onException = (err: Error): void => onEscaped(err, owner.getStore());
  const onRejection = (reason: unknown): void => onEscaped(reason, owner.getStore());
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
