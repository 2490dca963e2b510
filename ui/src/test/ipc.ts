// Helpers for component tests: a fake backend behind Tauri's IPC mock.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { InvokeArgs } from "@tauri-apps/api/core";
import { emit } from "@tauri-apps/api/event";
import type { AccountView, UserError as AppError, DeskEvent, JobView, ProxyView } from "../lib/bindings";
import { rememberAccount } from "../lib/account-cache";

export type Call = { cmd: string; args: Record<string, unknown> | undefined };
export type Handler = (args: Record<string, unknown> | undefined) => unknown;

/**
 * Installs a mocked backend. Handlers may return a value (success) or throw a
 * plain object (rejected like a Rust `Err(AppError)`). Unknown commands reject
 * the way Tauri does: with the string "Command <name> not found". Events are mocked too:
 * `emitEvent` reaches what the page listens to.
 */
export function mockBackend(handlers: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  mockIPC(
    (cmd: string, payload?: InvokeArgs) => {
      const args = payload as Record<string, unknown> | undefined;
      calls.push({ cmd, args });
      const handler = handlers[cmd];
      if (!handler) throw `Command ${cmd} not found`;
      return handler(args);
    },
    { shouldMockEvents: true },
  );
  return calls;
}

/** One of the core's events, as the backend sends it to every window. */
export async function emitDesk(e: DeskEvent): Promise<void> {
  await emit("desk-update", e);
}

/** A job's new view, as the backend sends it. */
export async function emitView(view: JobView): Promise<void> {
  await emitDesk({ kind: "job", data: view });
}

export function resetBackend(): void {
  rememberAccount(null);
  clearMocks();
  // clearMocks leaves an empty __TAURI_INTERNALS__ object behind.
  delete (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__;
}

export function account(view: Partial<AccountView> = {}): AccountView {
  return { region: "us", accessKey: null, secretStored: false, ...view };
}

/** The proxy settings as the backend shows them (the system's proxy, none set, by default). */
export function proxyView(view: Partial<ProxyView> = {}): ProxyView {
  return { mode: "system", url: "", username: "", noProxy: "", passwordStored: false, systemProxy: "", ...view };
}

export function appError(code: AppError["code"], message: string, detail: string | null = null, params: AppError["params"] = {}) {
  return { code, params, message, detail } satisfies AppError;
}
