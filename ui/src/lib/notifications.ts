// When a job finishes, fails or is exported while the app runs: a toast in the window and a
// desktop notification, both in the user's language.

import { writable } from "svelte/store";
import { api, type JobView } from "./api";
import { errorText } from "./describe";
import { tr } from "./i18n";

export type Toast = { id: number; jobId: number; tone: "success" | "danger"; title: string; body: string };

export const toasts = writable<Toast[]>([]);

let next = 1;
const TOAST_MS = 10_000;

export function dismiss(id: number): void {
  toasts.update((all) => all.filter((t) => t.id !== id));
}

/** What to say when a job's state changed from `previous` to `view`'s; nothing for other changes. */
export function announcement(view: JobView, previous: JobView | undefined): Omit<Toast, "id"> | null {
  if (!previous || previous.job.state === view.job.state) return null;
  const job = view.job;
  switch (job.state) {
    case "finished":
      return { jobId: job.id, tone: "success", title: tr("notify.finishedTitle", { name: job.name }), body: tr("notify.finishedBody") };
    case "failed":
      return { jobId: job.id, tone: "danger", title: tr("notify.failedTitle", { name: job.name }), body: job.error ? errorText(job.error) : tr("notify.failedBody") };
    case "exported":
      return { jobId: job.id, tone: "success", title: tr("notify.exportedTitle", { name: job.name }), body: job.exportPath ?? "" };
    default:
      return null;
  }
}

/** Announce a change (toast and desktop notification). */
export function announce(view: JobView, previous: JobView | undefined): void {
  const a = announcement(view, previous);
  if (!a) return;
  const toast = { ...a, id: next++ };
  toasts.update((all) => [...all.slice(-3), toast]);
  setTimeout(() => dismiss(toast.id), TOAST_MS);
  void api.notify(a.title, a.body);
}
