// The page's one door to Rust. The commands and every type they take and return are generated from the Rust
// types (bindings.ts, by `tessera_app::write_bindings`); this module adds only what is not a command.
import { Channel } from "@tauri-apps/api/core";
import { commands, type CommandError, type LockReason } from "./bindings";

export * from "./bindings";
export const api = commands;

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && typeof (e as { code: unknown }).code === "string";
}

/** Calls `onLock` at once whenever the vault locks by itself (idle, sleep, screen lock): Rust pushes it. */
export async function watchLocks(onLock: (reason: LockReason) => void): Promise<void> {
  const channel = new Channel<{ reason: LockReason }>();
  channel.onmessage = (message) => onLock(message.reason);
  await api.lockWatch(channel);
}

/** Calls `onArrival` when a request is opened from outside the window (a `tessera://` link, a request file), and
 * at once if the app was started with one; Rust keeps it until `requestOpenIncoming` takes it, vault open. */
export async function watchIncoming(onArrival: () => void): Promise<void> {
  const channel = new Channel<{ waiting: boolean }>();
  channel.onmessage = () => onArrival();
  if (await api.incomingWatch(channel)) onArrival();
}
