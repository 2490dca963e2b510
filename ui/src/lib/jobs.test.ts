import { describe, expect, it } from "vitest";
import type { JobEvent, JobState } from "./bindings";
import { timeline } from "./jobs";

const ev = (state: JobState): JobEvent => ({ at: 0, state, message: "" });
const statuses = (state: JobState, events: JobEvent[] = [], remoteJobUuid: string | null = null) =>
  Object.fromEntries(timeline({ state, remoteJobUuid }, events).map((s) => [s.id, s.status]));

describe("timeline", () => {
  it("walks Upload → Processing → Download → Export", () => {
    expect(statuses("uploading")).toEqual({ upload: "current", processing: "pending", download: "pending", export: "pending" });
    expect(statuses("processing")).toEqual({ upload: "done", processing: "current", download: "pending", export: "pending" });
    expect(statuses("finished")).toEqual({ upload: "done", processing: "done", download: "current", export: "pending" });
    expect(statuses("downloaded")).toEqual({ upload: "done", processing: "done", download: "done", export: "current" });
    expect(statuses("exported")).toEqual({ upload: "done", processing: "done", download: "done", export: "done" });
  });

  it("shows the queue only when the job waited", () => {
    expect(timeline({ state: "processing", remoteJobUuid: "j" }, []).map((s) => s.id)).not.toContain("queue");
    expect(statuses("queued")).toMatchObject({ upload: "done", queue: "current" });
    expect(statuses("processing", [ev("uploading"), ev("queued"), ev("processing")])).toMatchObject({
      queue: "done",
      processing: "current",
    });
  });

  it("marks where a job failed or was stopped", () => {
    expect(statuses("failed", [ev("uploading"), ev("submitted"), ev("processing"), ev("failed")])).toEqual({
      upload: "done",
      processing: "failed",
      download: "pending",
      export: "pending",
    });
    expect(statuses("stopped", [ev("draft"), ev("uploading"), ev("stopped")])).toMatchObject({
      upload: "stopped",
      processing: "pending",
    });
  });
});
