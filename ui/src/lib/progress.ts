// Live progress of jobs, reduced from the pipeline's events (a call's Channel).
//
// Every Channel the UI hands the backend (start, resume, retry, watch, download) feeds this one
// store, keyed by job id, so a job's page shows the progress of an upload started from New job,
// and Jobs shows it too. Job records that come over a channel also update the jobs list.

import { get, writable } from "svelte/store";
import { api, Channel, type DownloadProgress, type JobRecord, type PipelineEvent, type UploadProgress } from "./api";
import { upsertJob } from "./jobs-store";

export type JobProgress = {
  /** The last upload progress, while uploading. */
  upload: UploadProgress | null;
  /** The last download progress, while downloading the result. */
  download: DownloadProgress | null;
  /** The job as the last event told it. */
  job: JobRecord | null;
};

export const EMPTY_PROGRESS: JobProgress = { upload: null, download: null, job: null };

/** One event into a job's progress (pure). */
export function reduceProgress(p: JobProgress, e: PipelineEvent): JobProgress {
  switch (e.event) {
    case "upload":
      return { ...p, upload: e.data };
    case "download":
      return { ...p, download: e.data };
    case "job": {
      const job = e.data;
      // Leaving a phase forgets its progress; a new run starts from the next event.
      const upload = job.state === "uploading" || job.state === "draft" ? p.upload : null;
      const download = job.state === "downloading" ? p.download : null;
      return { job, upload, download };
    }
    default:
      return p;
  }
}

export const progress = writable<Record<number, JobProgress>>({});

export function feed(id: number, e: PipelineEvent): void {
  progress.update((all) => ({ ...all, [id]: reduceProgress(all[id] ?? EMPTY_PROGRESS, e) }));
  if (e.event === "job") upsertJob(e.data);
}

export function progressOf(id: number): JobProgress {
  return get(progress)[id] ?? EMPTY_PROGRESS;
}

export function forgetProgress(id: number): void {
  progress.update((all) => {
    const { [id]: _gone, ...rest } = all;
    return rest;
  });
}

/**
 * A Channel that feeds the store. Without an id (Start: the job does not exist yet) events wait
 * until `bind(id)`, or until a job event names the job.
 */
export function trackedChannel(id?: number): { channel: Channel<PipelineEvent>; bind: (id: number) => void } {
  let bound: number | undefined = id;
  const pending: PipelineEvent[] = [];
  const channel = new Channel<PipelineEvent>();
  const bind = (next: number) => {
    if (bound !== undefined) return;
    bound = next;
    for (const e of pending.splice(0)) feed(next, e);
  };
  channel.onmessage = (e: PipelineEvent) => {
    if (bound === undefined && e.event === "job") bind(e.data.id);
    if (bound === undefined) pending.push(e);
    else feed(bound, e);
  };
  return { channel, bind };
}

/** Jobs whose running pipeline already has one of our channels. */
const watching = new Set<number>();

/** Note that a pipeline runs with our channel for `id` (start, resume, retry). */
export function markWatching(id: number): void {
  watching.add(id);
}

/** Nothing runs for `id` any more (its page found it stopped). */
export function unmarkWatching(id: number): void {
  watching.delete(id);
}

/**
 * Follow a running job's progress (once per run: the backend keeps every watcher until the job
 * ends). False when nothing runs for it in this app.
 */
export async function ensureWatching(id: number): Promise<boolean> {
  if (watching.has(id)) return true;
  watching.add(id);
  const result = await api.watchJob(id, () => trackedChannel(id).channel);
  const ok = result.status === "ok" && result.data;
  if (!ok) watching.delete(id);
  return ok;
}

/** For tests. */
export function resetProgress(): void {
  progress.set({});
  watching.clear();
}
