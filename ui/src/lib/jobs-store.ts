// The jobs as the core shows them, kept live: loaded with list_jobs, then every `desk-update`
// event updates them. Each view carries a number (`seq`) from the core: the view with the
// highest one is the newest, so views that arrive out of order need no other reconciling.

import { derived, writable } from "svelte/store";
import { api, type AppError, type DeskEvent, type JobView, type Progress } from "./api";
import type { AwakeState, TaskEnd } from "./bindings";
import { events } from "./bindings";
import { isActive } from "./jobs";

/** Every job's newest view, by id. */
export const views = writable<Record<number, JobView>>({});
/** list_jobs has answered at least once. */
export const jobsLoaded = writable(false);
export const jobsError = writable<AppError | null>(null);
/** The running tasks' progress, by job id. */
export const progress = writable<Record<number, Progress>>({});

/** How each job's last task ended (its download or export report), by job id. */
export const endings = writable<Record<number, TaskEnd>>({});

/** The history, newest first. */
export const jobs = derived(views, (all) => Object.values(all).sort((a, b) => b.job.createdAt - a.job.createdAt || b.job.id - a.job.id));

/** Jobs under way (the sidebar's badge). */
export const activeCount = derived(jobs, (list) => list.filter((v) => v.task !== null || isActive(v.job.state)).length);

/** Keep `view` unless a newer one is there. Returns the view it replaced (or `undefined`). */
export function applyView(view: JobView): JobView | undefined {
  let previous: JobView | undefined;
  views.update((all) => {
    previous = all[view.job.id];
    if (previous && previous.seq > view.seq) {
      previous = undefined;
      return all;
    }
    return { ...all, [view.job.id]: view };
  });
  if (view.task === null) forgetProgress(view.job.id);
  return previous;
}

export function removeJob(id: number): void {
  views.update((all) => {
    const { [id]: _gone, ...rest } = all;
    return rest;
  });
  forgetProgress(id);
}

function forgetProgress(id: number): void {
  progress.update((all) => {
    if (!(id in all)) return all;
    const { [id]: _gone, ...rest } = all;
    return rest;
  });
}

let inFlight: Promise<void> | null = null;

/** (Re)load the history. Concurrent calls share one request. */
export function loadJobs(): Promise<void> {
  inFlight ??= (async () => {
    const result = await api.listJobs();
    if (result.status === "ok") {
      for (const v of result.data) applyView(v);
      // Jobs deleted elsewhere are gone.
      const ids = new Set(result.data.map((v) => v.job.id));
      views.update((all) => Object.fromEntries(Object.entries(all).filter(([id]) => ids.has(Number(id)))));
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

export type DeskListener = {
  /** A job's view was applied (`previous` is the one it replaced). */
  onView?: (view: JobView, previous: JobView | undefined) => void;
  onEvent?: (e: DeskEvent) => void;
};

/** Whether the computer is kept awake while files transfer (or could not be). */
export const awake = writable<AwakeState>({ state: "idle" });

/** Apply one event of the core. */
export function applyEvent(e: DeskEvent, listener: DeskListener = {}): void {
  switch (e.kind) {
    case "job": {
      const previous = applyView(e.data);
      listener.onView?.(e.data, previous);
      break;
    }
    case "removed":
      removeJob(e.data);
      break;
    case "progress":
      progress.update((all) => ({ ...all, [e.data.id]: e.data.progress }));
      break;
    case "ended":
      endings.update((all) => ({ ...all, [e.data.id]: e.data.end }));
      break;
    case "awake":
      awake.set(e.data);
      break;
  }
  listener.onEvent?.(e);
}

/** Listen to one of the backend's events; the function returned stops listening and never
 * throws (the page may be going away along with the backend). Without a backend (a plain
 * browser, events not available) it listens to nothing. */
export async function followEvent<T>(
  event: { listen: (handler: (e: { payload: T }) => void) => Promise<() => unknown> },
  handler: (payload: T) => void,
): Promise<() => void> {
  try {
    const unlisten = await event.listen((e) => handler(e.payload));
    return () => {
      try {
        void Promise.resolve(unlisten()).catch(() => {});
      } catch {
        // already gone
      }
    };
  } catch {
    return () => {};
  }
}

/** Follow the core's events (the list stays as loaded without them). Returns the function
 * that stops following. */
export function followDesk(listener: DeskListener = {}): Promise<() => void> {
  return followEvent(events.deskUpdate, (e) => applyEvent(e, listener));
}

/** For tests. */
export function resetJobs(): void {
  views.set({});
  progress.set({});
  endings.set({});
  jobsLoaded.set(false);
  jobsError.set(null);
  inFlight = null;
}
