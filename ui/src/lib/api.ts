// Thin wrapper over the generated bindings. Every call resolves to a Result;
// nothing here throws. Errors that do not come from the backend as an AppError
// (the backend is not running, a command is missing, …) are turned into one so
// the UI has a single error shape to render.

import { commands, type UserError as AppError, type Region, type Result } from "./bindings";
import { tr } from "./i18n";

export type { AccountView, ConnectionReport, Region, Result } from "./bindings";
export type { UserError as AppError } from "./bindings";

function isAppError(value: unknown): value is AppError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AppError).code === "string" &&
    typeof (value as AppError).message === "string"
  );
}

function backendPresent(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

/** Turns anything thrown or returned as an error into an AppError. */
export function toAppError(value: unknown): AppError {
  if (isAppError(value)) {
    return { code: value.code, message: value.message, detail: value.detail ?? null };
  }
  if (typeof value === "string") {
    // Tauri rejects calls to unknown commands with "Command x not found".
    if (/^command .+ not found$/i.test(value.trim())) {
      return { code: "other", message: tr("error.notAvailable"), detail: value };
    }
    return { code: "other", message: value || tr("error.unexpected"), detail: null };
  }
  const detail =
    value instanceof Error ? value.message : value === undefined ? null : safeStringify(value);
  if (!backendPresent()) {
    return { code: "other", message: tr("error.backendUnavailable"), detail };
  }
  return { code: "other", message: tr("error.unexpected"), detail };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

async function call<T>(run: () => Promise<Result<T, AppError>>): Promise<Result<T, AppError>> {
  try {
    const result = await run();
    if (result.status === "error") return { status: "error", error: toAppError(result.error) };
    return result;
  } catch (e) {
    return { status: "error", error: toAppError(e) };
  }
}

export const api = {
  getAccount: () => call(() => commands.getAccount()),
  saveAccount: (region: Region, accessKey: string, secretKey: string | null) =>
    call(() => commands.saveAccount(region, accessKey, secretKey)),
  selectRegion: (region: Region) => call(() => commands.selectRegion(region)),
  deleteAccount: (region: Region) => call(() => commands.deleteAccount(region)),
  testConnection: () => call(() => commands.testConnection()),
};
