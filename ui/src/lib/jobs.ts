// What the UI knows about jobs' states and kinds: words, groupings, the timeline.

import type { JobEvent, JobKind, JobRecord, JobState } from "./bindings";
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

/** The server still has work to do, or we have yet to hand it over (can be resumed). */
export function isUnfinished(state: JobState): boolean {
  return ["draft", "uploading", "queued", "submitted", "processing"].includes(state);
}

/** The server made a result. */
export function hasResult(state: JobState): boolean {
  return ["finished", "downloading", "downloaded", "exported"].includes(state);
}

export function canRetry(state: JobState): boolean {
  return state === "failed" || state === "stopped";
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
      return "danger";
    default:
      return "neutral";
  }
}

export type StepId = "upload" | "queue" | "processing" | "download" | "export";
export type StepStatus = "done" | "current" | "pending" | "failed" | "stopped";
export type Step = { id: StepId; status: StepStatus };

const PHASE_OF: Record<JobState, StepId | null> = {
  draft: "upload",
  uploading: "upload",
  queued: "queue",
  submitted: "processing",
  processing: "processing",
  finished: "download",
  downloading: "download",
  downloaded: "export",
  exported: null,
  failed: null,
  stopped: null,
};

/**
 * The job's steps: Upload → Queue (only if it waited) → Processing → Download → Export, each
 * done, current or pending. A failed or stopped job shows where it ended.
 */
export function timeline(job: Pick<JobRecord, "state" | "remoteJobUuid">, events: readonly JobEvent[]): Step[] {
  const waited = job.state === "queued" || events.some((e) => e.state === "queued");
  const ids: StepId[] = ["upload", ...(waited ? (["queue"] as StepId[]) : []), "processing", "download", "export"];

  let current: StepId | null;
  let end: StepStatus = "current";
  if (job.state === "failed" || job.state === "stopped") {
    end = job.state;
    // The last phase it reached.
    const reached = [...events].reverse().map((e) => PHASE_OF[e.state]).find((p) => p !== null) ?? null;
    current = reached === "download" || reached === "export" ? "processing" : reached;
    if (!current) current = job.remoteJobUuid ? "processing" : "upload";
  } else if (job.state === "exported") {
    return ids.map((id) => ({ id, status: "done" }));
  } else {
    current = PHASE_OF[job.state];
  }
  const at = current ? ids.indexOf(current) : -1;
  return ids.map((id, i) => ({
    id,
    status: i < at ? "done" : i === at ? end : "pending",
  }));
}
