// Thin wrapper over the generated bindings. Every call resolves to a Result;
// nothing here throws. Errors that do not come from the backend as an AppError
// (the backend is not running, a command is missing, …) are turned into one so
// the UI has a single error shape to render.

import { Channel } from "@tauri-apps/api/core";
import {
  commands,
  type JobKind,
  type JobParameters,
  type PipelineEvent,
  type UserError as AppError,
  type Region,
  type Result,
} from "./bindings";
import { tr, type LanguagePreference } from "./i18n";

export type {
  AccountView,
  ConnectionReport,
  CoordinateSystem,
  DatasetSummary,
  DownloadProgress,
  DownloadReport,
  ExportReport,
  FieldError,
  JobDetail,
  JobEvent,
  JobKind,
  JobParameters,
  JobRecord,
  JobState,
  JsonValue,
  ParamSpec,
  PipelineEvent,
  Preset,
  Region,
  Result,
  ResultOutput,
  Settings,
  UploadProgress,
} from "./bindings";
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

/** For commands that return a plain value (and reject only when something is badly wrong). */
async function plain<T>(run: () => Promise<T>): Promise<Result<T, AppError>> {
  try {
    return { status: "ok", data: await run() };
  } catch (e) {
    return { status: "error", error: toAppError(e) };
  }
}

type Events = Channel<PipelineEvent>;

export const api = {
  getAccount: () => call(() => commands.getAccount()),
  saveAccount: (region: Region, accessKey: string, secretKey: string | null) =>
    call(() => commands.saveAccount(region, accessKey, secretKey)),
  selectRegion: (region: Region) => call(() => commands.selectRegion(region)),
  deleteAccount: (region: Region) => call(() => commands.deleteAccount(region)),
  testConnection: () => call(() => commands.testConnection()),

  scanFolder: (path: string) => call(() => commands.scanFolder(path)),
  pickFolder: () => call(() => commands.pickFolder()),
  paramSchema: (kind: JobKind) => plain(() => commands.paramSchema(kind)),
  presets: () => plain(() => commands.presets()),
  validateParams: (params: JobParameters) => plain(() => commands.validateParams(params)),
  searchCoordinateSystems: (query: string) => plain(() => commands.searchCoordinateSystems(query)),

  // Channels are made by the caller (inside `make`) so a missing backend is an error, not a throw.
  startJob: (name: string, folder: string, params: JobParameters, make: () => Events) =>
    call(() => commands.startJob(name, folder, params, make())),
  resumeJob: (id: number, make: () => Events) => call(() => commands.resumeJob(id, make())),
  watchJob: (id: number, make: () => Events) => plain(() => commands.watchJob(id, make())),
  listJobs: () => call(() => commands.listJobs()),
  jobDetail: (id: number) => call(() => commands.jobDetail(id)),
  pauseUpload: (id: number) => plain(() => commands.pauseUpload(id)),
  resumeUpload: (id: number) => plain(() => commands.resumeUpload(id)),
  stopJob: (id: number) => call(() => commands.stopJob(id)),
  retryJob: (id: number, make: () => Events) => call(() => commands.retryJob(id, make())),
  deleteJob: (id: number, remote: boolean) => call(() => commands.deleteJob(id, remote)),
  resultOutputs: (id: number) => call(() => commands.resultOutputs(id)),
  downloadResult: (id: number, outputs: string[], make: () => Events) =>
    call(() => commands.downloadResult(id, outputs, make())),
  exportZip: (id: number) => call(() => commands.exportZip(id)),

  getSettings: () => call(() => commands.getSettings()),
  setLanguage: (language: LanguagePreference) => call(() => commands.setLanguage(language)),
  reveal: (path: string) => call(() => commands.reveal(path)),
  openLogFolder: () => call(() => commands.openLogFolder()),
};

export { Channel };
