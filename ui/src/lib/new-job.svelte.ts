// The New job draft: the folders dropped or picked (each scanned at once), the kind, the name,
// the preset and the parameter values the user set. It lives outside the screen so a drop
// anywhere in the window lands here, and so leaving the screen keeps what was chosen.

import {
  api,
  type AppError,
  type DatasetSummary,
  type JobKind,
  type JobParameters,
  type JobView,
  type JsonValue,
  type Preset,
  type StartOptions,
} from "./api";
import { baseName } from "./format";
import { applyView } from "./jobs-store";

export type DatasetEntry = {
  key: number;
  path: string;
  status: "scanning" | "ready" | "error";
  summary: DatasetSummary | null;
  error: AppError | null;
  /** Upload only its photos and LiDAR files (the user left the other files out). */
  leaveOut: boolean;
  /** Photos the user left out (on the map or from a finding), by name, with their sizes. */
  leftOut: Record<string, number>;
};

/** What a folder's job will upload: all its files, less the others when left out, less the
 * photos left out (photos are never among the others). */
export function uploadSize(entry: DatasetEntry): { files: number; bytes: number } {
  const s = entry.summary;
  if (!s) return { files: 0, bytes: 0 };
  const photos = Object.values(entry.leftOut);
  const photoBytes = photos.reduce((n, b) => n + b, 0);
  return entry.leaveOut
    ? { files: s.fileCount - s.otherCount - photos.length, bytes: s.totalBytes - s.otherBytes - photoBytes }
    : { files: s.fileCount - photos.length, bytes: s.totalBytes - photoBytes };
}

/** Leave `photos` out of the folder's job, or (`leave` false) put them back. */
export function setLeftOut(entry: DatasetEntry, photos: { name: string; size: number }[], leave: boolean): void {
  const next = { ...entry.leftOut };
  for (const p of photos) {
    if (leave) next[p.name] = p.size;
    else delete next[p.name];
  }
  entry.leftOut = next;
}

/** What a folder's job is started with. */
export function startOptions(entry: DatasetEntry): StartOptions {
  return { leaveOutOthers: entry.leaveOut, leftOut: Object.keys(entry.leftOut).sort() };
}

/** Why a folder does not fit a kind (empty when it fits). */
export function problemsFor(summary: DatasetSummary | null, kind: JobKind): AppError[] {
  return summary?.problems.find((p) => p.kind === kind)?.problems ?? [];
}

let nextKey = 1;

export class NewJobDraft {
  datasets = $state<DatasetEntry[]>([]);
  kind = $state<JobKind>("map2d");
  /** The user picked the kind: suggestions no longer change it. */
  kindChosen = $state(false);
  name = $state("");
  nameEdited = $state(false);
  presetId = $state("");
  /** Only the values the user changed or the preset set. */
  values = $state<Record<string, JsonValue>>({});
  /** Something is dragged over the window. */
  hover = $state(false);
  picking = $state(false);
  pickError = $state<AppError | null>(null);

  ready = $derived(this.datasets.filter((d) => d.status === "ready" && d.summary !== null));
  scanning = $derived(this.datasets.some((d) => d.status === "scanning"));
  /** What the first folder's content suggests. */
  suggestedKind = $derived<JobKind | null>(
    this.ready.map((d) => d.summary?.suggestedKind ?? null).find((k) => k !== null) ?? null,
  );
  defaultName = $derived(
    this.datasets.length ? (this.datasets[0].summary?.name || baseName(this.datasets[0].path)) : "",
  );
  effectiveName = $derived(this.nameEdited ? this.name : this.defaultName);
  /** Every problem of every ready folder with the chosen kind. */
  blockingProblems = $derived(this.ready.some((d) => problemsFor(d.summary, this.kind).length > 0));

  params(): JobParameters {
    return { kind: this.kind, values: $state.snapshot(this.values as unknown) as JobParameters["values"] };
  }

  /** Folders dropped on the window: each is scanned at once. */
  addPaths(paths: string[]): Promise<void> {
    const fresh = paths.filter((p) => p && !this.datasets.some((d) => d.path === p && d.status !== "error"));
    // A folder dropped again after an error: scan it again.
    this.datasets = this.datasets.filter((d) => !(d.status === "error" && fresh.includes(d.path)));
    return Promise.all(fresh.map((p) => this.scan(p))).then(() => {});
  }

  private async scan(path: string): Promise<void> {
    const key = nextKey++;
    this.datasets.push({ key, path, status: "scanning", summary: null, error: null, leaveOut: false, leftOut: {} });
    const result = await api.scanFolder(path);
    const entry = this.datasets.find((d) => d.key === key);
    if (!entry) return; // removed meanwhile
    if (result.status === "ok") {
      this.accept(entry, result.data);
    } else {
      entry.status = "error";
      entry.error = result.error;
    }
  }

  private accept(entry: DatasetEntry, summary: DatasetSummary): void {
    // The same folder under another spelling (a trailing slash, a link): keep one card.
    if (this.datasets.some((d) => d.key !== entry.key && d.summary?.root === summary.root)) {
      this.remove(entry.key);
      return;
    }
    entry.status = "ready";
    entry.summary = summary;
    entry.error = null;
    this.suggest();
  }

  /** The native folder dialog (opened by the backend), then the scan. */
  async pick(): Promise<void> {
    if (this.picking) return;
    this.picking = true;
    this.pickError = null;
    const result = await api.pickFolder();
    this.picking = false;
    if (result.status === "error") {
      this.pickError = result.error;
      return;
    }
    const summary = result.data;
    if (!summary) return; // cancelled
    if (this.datasets.some((d) => d.summary?.root === summary.root)) return;
    const entry: DatasetEntry = { key: nextKey++, path: summary.root, status: "ready", summary, error: null, leaveOut: false, leftOut: {} };
    this.datasets.push(entry);
    this.suggest();
  }

  remove(key: number): void {
    this.datasets = this.datasets.filter((d) => d.key !== key);
    if (this.datasets.length === 0) {
      this.kindChosen = false;
      this.nameEdited = false;
      this.name = "";
    }
  }

  private suggest(): void {
    if (!this.kindChosen && this.suggestedKind) this.setKind(this.suggestedKind, false);
  }

  setKind(kind: JobKind, byUser = true): void {
    if (byUser) this.kindChosen = true;
    if (kind === this.kind) return;
    this.kind = kind;
    // Parameters belong to a kind.
    this.values = {};
    this.presetId = "";
  }

  setName(name: string): void {
    this.name = name;
    this.nameEdited = true;
  }

  /** `undefined` takes the value out (back to the default). */
  setValue(key: string, value: JsonValue | undefined): void {
    const next = { ...this.values };
    if (value === undefined) delete next[key];
    else next[key] = value;
    this.values = next;
  }

  applyPreset(preset: Preset | null): void {
    this.presetId = preset?.id ?? "";
    this.values = preset ? { ...(preset.values as Record<string, JsonValue>) } : {};
  }

  resetValues(): void {
    this.values = {};
    this.presetId = "";
  }

  reset(): void {
    this.datasets = [];
    this.kind = "map2d";
    this.kindChosen = false;
    this.name = "";
    this.nameEdited = false;
    this.presetId = "";
    this.values = {};
    this.hover = false;
    this.picking = false;
    this.pickError = null;
  }
}

export const draft = new NewJobDraft();

export type StartOutcome = { started: JobView[]; errors: { name: string; error: AppError }[] };

/** One job per ready folder, same kind and parameters. Started folders leave the draft. */
export async function startJobs(d: NewJobDraft): Promise<StartOutcome> {
  const params = d.params();
  const many = d.ready.length > 1;
  const outcome: StartOutcome = { started: [], errors: [] };
  for (const entry of [...d.ready]) {
    const summary = entry.summary!;
    const name = many ? summary.name : d.effectiveName.trim() || summary.name;
    const result = await api.startJob(name, summary.root, params, startOptions(entry));
    if (result.status === "ok") {
      applyView(result.data);
      outcome.started.push(result.data);
      d.remove(entry.key);
    } else {
      outcome.errors.push({ name, error: result.error });
    }
  }
  return outcome;
}
