// Thin wrapper over the generated bindings. Every call resolves to a Result;
// nothing here throws. Errors that do not come from the backend as an AppError
// (the backend is not running, a command is missing, …) are turned into one so
// the UI has a single error shape to render.

import {
  commands,
  type JobKind,
  type JobParameters,
  type JobId,
  type JobPlace,
  type ProxySettings,
  type UserError as AppError,
  type Region,
  type Result,
  type StartOptions,
} from "./bindings";
import { tr, type LanguagePreference } from "./i18n";

export type {
  AccountView,
  Catalog,
  ConnectionReport,
  CoordinateSystem,
  DatasetSummary,
  DeskEvent,
  ExportReport,
  FieldError,
  OtherFile,
  SkipCode,
  StartOptions,
  JobAction,
  JobDetail,
  JobEvent,
  JobId,
  JobKind,
  JobParameters,
  JobRecord,
  JobState,
  JobView,
  JsonValue,
  ParamSpec,
  DoctorReport,
  PhotoMeta,
  Finding,
  FindingCode,
  ProxyMode,
  ProxySettings,
  ProxyView,
  Preset,
  Progress,
  ProgressNote,
  Region,
  Result,
  ResultOutput,
  Settings,
  Step,
  TaskInfo,
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
    return { code: value.code, params: value.params ?? {}, message: value.message, detail: value.detail ?? null };
  }
  if (typeof value === "string") {
    // Tauri rejects calls to unknown commands with "Command x not found".
    if (/^command .+ not found$/i.test(value.trim())) {
      return { code: "internal", params: { local: true }, message: tr("error.notAvailable"), detail: value };
    }
    return { code: "internal", params: { local: true }, message: value || tr("error.unexpected"), detail: null };
  }
  const detail =
    value instanceof Error ? value.message : value === undefined ? null : safeStringify(value);
  if (!backendPresent()) {
    return { code: "internal", params: { local: true }, message: tr("error.backendUnavailable"), detail };
  }
  return { code: "internal", params: { local: true }, message: tr("error.unexpected"), detail };
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

export const api = {
  catalog: () => plain(() => commands.catalog()),
  getAccount: () => call(() => commands.getAccount()),
  saveAccount: (region: Region, accessKey: string, secretKey: string | null) =>
    call(() => commands.saveAccount(region, accessKey, secretKey)),
  selectRegion: (region: Region) => call(() => commands.selectRegion(region)),
  deleteAccount: (region: Region) => call(() => commands.deleteAccount(region)),
  /** With the form's keys (`accessKey` null: the stored keys; `secretKey` null: the stored one). */
  testConnection: (region: Region, accessKey: string | null, secretKey: string | null) =>
    call(() => commands.testConnection(region, accessKey, secretKey)),

  scanFolder: (path: string) => call(() => commands.scanFolder(path)),
  /** The dataset doctor on a folder, for a job of `kind`. */
  doctor: (path: string, kind: JobKind | null, options: StartOptions) => call(() => commands.doctor(path, kind, options)),
  pickFolder: () => call(() => commands.pickFolder(tr("dialog.chooseFolder"))),
  paramSchema: (kind: JobParameters["kind"]) => plain(() => commands.paramSchema(kind)),
  validateParams: (params: JobParameters) => plain(() => commands.validateParams(params)),
  searchCoordinateSystems: (query: string) => plain(() => commands.searchCoordinateSystems(query)),

  startJob: (name: string, folder: string, params: JobParameters, options: StartOptions) =>
    call(() => commands.startJob(name, folder, params, options)),
  continueJob: (id: JobId) => call(() => commands.continueJob(id)),
  pauseJob: (id: JobId) => call(() => commands.pauseJob(id)),
  resumeJob: (id: JobId) => call(() => commands.resumeJob(id)),
  cancelTask: (id: JobId) => call(() => commands.cancelTask(id)),
  stopJob: (id: JobId) => call(() => commands.stopJob(id)),
  retryJob: (id: JobId) => call(() => commands.retryJob(id)),
  deleteJob: (id: JobId, remote: boolean) => call(() => commands.deleteJob(id, remote)),
  listJobs: () => call(() => commands.listJobs()),
  jobDetail: (id: JobId) => call(() => commands.jobDetail(id)),
  resultOutputs: (id: JobId) => call(() => commands.resultOutputs(id)),
  downloadResult: (id: JobId, outputs: string[]) => call(() => commands.downloadResult(id, outputs)),
  exportZip: (id: JobId) => call(() => commands.exportZip(id, tr("dialog.saveZip"))),

  getSettings: () => call(() => commands.getSettings()),
  setLanguage: (language: LanguagePreference) => call(() => commands.setLanguage(language)),
  /** Bytes per second for uploads and downloads; 0: full speed. Applies to running transfers. */
  setSpeedLimit: (bytesPerSecond: number) => call(() => commands.setSpeedLimit(bytesPerSecond)),
  /** A share of the link (percent, 0: none) instead of a rate; full speed between two "HH:MM" (both "": never). */
  setLinkLimits: (share: number, fullSpeedFrom: string, fullSpeedTo: string) => call(() => commands.setLinkLimits(share, fullSpeedFrom, fullSpeedTo)),
  /** Whether the computer is kept awake now (files transfer). */
  awakeState: () => commands.awakeState(),
  /** What About shows: version, commit, data and log folders. */
  about: () => commands.about(),
  /** Ask the update feed for a newer version (null: this one is the newest). */
  checkUpdate: () => call(() => commands.checkUpdate()),
  /** Pause the transfers, download, verify, install the update found, and restart. */
  installUpdate: () => call(() => commands.installUpdate()),
  /** Where updates are looked for ("" : TerraDesk's own feed). */
  setUpdateFeed: (url: string) => call(() => commands.setUpdateFeed(url)),
  /** The folders the app was started with (`terradesk-app DIR`, dropped on its icon); once. */
  launchFolders: () => commands.launchFolders(),
  /** The background map under New job's photo map (off by default) and its tile URL. */
  setMapTiles: (on: boolean, url: string) => call(() => commands.setMapTiles(on, url)),
  /** One background map tile, as a data: URL (fetched by the core, through the proxy, cached). */
  mapTile: (z: number, x: number, y: number) => call(() => commands.mapTile(z, x, y)),
  getProxy: () => call(() => commands.getProxy()),
  /** `password`: null keeps the stored one, "" removes it. */
  saveProxy: (proxy: ProxySettings, password: string | null) => call(() => commands.saveProxy(proxy, password)),
  reveal: (id: JobId, place: JobPlace) => call(() => commands.reveal(id, place)),
  openLogFolder: () => call(() => commands.openLogFolder()),
  notify: (title: string, body: string) => plain(() => commands.notify(title, body)),
};
