// The job history, newest first, kept live: loaded with list_jobs, then every `job-updated`
// event (and every job record that comes over a channel) updates it.

import { derived, writable } from "svelte/store";
import { api, type AppError, type JobRecord, type JobState } from "./api";
import { events } from "./bindings";
import { isActive } from "./jobs";

export const jobs = writable<JobRecord[]>([]);
/** list_jobs has answered at least once. */
export const jobsLoaded = writable(false);
export const jobsError = writable<AppError | null>(null);

/** Jobs under way (the sidebar's badge). */
export const activeCount = derived(jobs, (list) => list.filter((j) => isActive(j.state)).length);

function sorted(list: JobRecord[]): JobRecord[] {
  return [...list].sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
}

/** Where a state comes in a job's life, to order records saved within the same second. */
const LIFECYCLE: Record<JobState, number> = {
  draft: 0,
  uploading: 1,
  queued: 2,
  submitted: 3,
  processing: 4,
  finished: 5,
  failed: 5,
  stopped: 5,
  downloading: 6,
  downloaded: 7,
  exported: 8,
};

/**
 * A newer record of a job. Records come both over a call's Channel and as app-wide events, so
 * they can interleave: an older one (by `updatedAt`, then by where its state comes in the job's
 * life) does not replace a newer one. `authoritative` records (just read from the history, which
 * the job page does after every update) always win.
 */
export function upsertJob(job: JobRecord, authoritative = false): void {
  jobs.update((list) => {
    const i = list.findIndex((j) => j.id === job.id);
    if (i === -1) return sorted([...list, job]);
    const current = list[i];
    if (!authoritative) {
      if (current.updatedAt > job.updatedAt) return list;
      if (current.updatedAt === job.updatedAt && LIFECYCLE[current.state] > LIFECYCLE[job.state]) return list;
    }
    const next = [...list];
    next[i] = job;
    return next;
  });
}

export function removeJob(id: number): void {
  jobs.update((list) => list.filter((j) => j.id !== id));
}

let inFlight: Promise<void> | null = null;

/** (Re)load the history. Concurrent calls share one request. */
export function loadJobs(): Promise<void> {
  inFlight ??= (async () => {
    const result = await api.listJobs();
    if (result.status === "ok") {
      jobs.set(sorted(result.data));
      jobsError.set(null);
    } else {
      jobsError.set(result.error);
    }
    jobsLoaded.set(true);
  })().finally(() => {
    inFlight = null;
  });
  return inFlight;
}

/** Follow `job-updated` events. Returns the function that stops following. */
export async function followJobUpdates(onUpdate?: (job: JobRecord) => void): Promise<() => void> {
  try {
    const unlisten = await events.jobUpdated.listen((e) => {
      upsertJob(e.payload);
      onUpdate?.(e.payload);
    });
    return () => {
      // Never throws: the page may be going away along with the backend.
      try {
        void Promise.resolve(unlisten()).catch(() => {});
      } catch {
        // already gone
      }
    };
  } catch {
    // No backend (plain browser), or events not available: the list stays as loaded.
    return () => {};
  }
}

/** For tests. */
export function resetJobs(): void {
  jobs.set([]);
  jobsLoaded.set(false);
  jobsError.set(null);
  inFlight = null;
}
