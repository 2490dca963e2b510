// How the UI shows jobs' states and kinds: words, tones, groupings. What a job allows and the
// steps of its timeline come from the core (JobView.actions, JobView.steps).

import type { JobKind, JobState, JobView, Progress } from "./bindings";
import type { MessageKey } from "./i18n";

export const KINDS: readonly JobKind[] = ["map2d", "model3d", "lidar"];

/** "map2d" → the test id suffix "2d" (kind-2d, kind-3d, kind-lidar). */
export function kindId(kind: JobKind): "2d" | "3d" | "lidar" {
  return kind === "map2d" ? "2d" : kind === "model3d" ? "3d" : "lidar";
}

export function kindLabel(kind: JobKind): MessageKey {
  return `kind.${kind}` as MessageKey;
}

export function stateLabel(state: JobState): MessageKey {
  return `state.${state}` as MessageKey;
}

/** Work is under way for it (the sidebar's count). */
export const ACTIVE_STATES: readonly JobState[] = [
  "uploading",
  "queued",
  "submitted",
  "processing",
  "downloading",
];

export function isActive(state: JobState): boolean {
  return ACTIVE_STATES.includes(state);
}

/** The server made a result. */
export function hasResult(state: JobState): boolean {
  return ["finished", "downloading", "downloaded", "exported"].includes(state);
}

/** How a state badge looks. */
export type Tone = "neutral" | "active" | "success" | "danger" | "warning";

export function stateTone(state: JobState): Tone {
  switch (state) {
    case "uploading":
    case "submitted":
    case "processing":
    case "downloading":
      return "active";
    case "queued":
      return "warning";
    case "finished":
    case "downloaded":
    case "exported":
      return "success";
    case "failed":
    case "unreadable":
      return "danger";
    default:
      return "neutral";
  }
}

/**
 * The one progress figure of a job (its list row and its page agree): the running task's bytes
 * when it moves bytes, else what the steps say: the server's percentage while it processes, all
 * of it once the server finished, and for a job that ended, how far its work got.
 */
export function figure(view: JobView, progress: Progress | undefined): { value: number | null; tone: "accent" | "success" | "muted" | "danger" } {
  const job = view.job;
  const tone = job.state === "failed" ? "danger" : job.state === "stopped" || job.state === "draft" ? "muted" : "accent";
  if (view.task && progress && progress.bytesTotal > 0 && progress.phase !== "export") {
    return { value: progress.bytesDone / progress.bytesTotal, tone };
  }
  if (view.task?.kind === "pipeline" && (job.state === "uploading" || job.state === "draft")) return { value: null, tone };
  if (job.state === "finished" || job.state === "downloaded" || job.state === "exported" || job.state === "downloading") return { value: 1, tone: "success" };
  if (job.percentage !== null) return { value: job.percentage, tone };
  // Nothing processed yet: as far as the upload got (the steps say whether it was done).
  const upload = view.steps.find((s) => s.id === "upload");
  return { value: upload?.status === "done" ? 1 : 0, tone };
}
