import { get } from "svelte/store";
import { afterEach, describe, expect, it } from "vitest";
import { upload, job } from "../test/fixtures";
import { mockBackend, resetBackend, sendOn } from "../test/ipc";
import { jobs, upsertJob } from "./jobs-store";
import { EMPTY_PROGRESS, ensureWatching, progress, reduceProgress, trackedChannel } from "./progress";

afterEach(() => resetBackend());

describe("progress", () => {
  it("reduces pipeline events, forgetting a phase's progress when it ends", () => {
    let p = reduceProgress(EMPTY_PROGRESS, { event: "upload", data: upload() });
    expect(p.upload?.bytesDone).toBe(12_000_000);
    p = reduceProgress(p, { event: "job", data: job({ state: "uploading" }) });
    expect(p.upload).not.toBeNull();
    p = reduceProgress(p, { event: "job", data: job({ state: "submitted" }) });
    expect(p.upload).toBeNull();
    expect(p.job?.state).toBe("submitted");
  });

  it("a channel made before the job exists holds its events until it is bound", () => {
    mockBackend({});
    const { channel, bind } = trackedChannel();
    sendOn(channel, { event: "upload", data: upload({ bytesDone: 5 }) });
    expect(get(progress)).toEqual({});
    bind(7);
    expect(get(progress)[7].upload?.bytesDone).toBe(5);
    sendOn(channel, { event: "job", data: job({ id: 7, state: "processing", updatedAt: 2 }) });
    expect(get(progress)[7].job?.state).toBe("processing");
    // Job records over a channel update the list too.
    expect(get(jobs).map((j) => j.id)).toEqual([7]);
  });

  it("a record from the other path, saved in the same second but earlier in the job's life, does not win", () => {
    upsertJob(job({ id: 2, state: "finished", updatedAt: 10 }));
    upsertJob(job({ id: 2, state: "processing", updatedAt: 10 }));
    expect(get(jobs)[0].state).toBe("finished");
    upsertJob(job({ id: 2, state: "processing", updatedAt: 9 }));
    expect(get(jobs)[0].state).toBe("finished");
    upsertJob(job({ id: 2, state: "downloading", updatedAt: 10 }));
    expect(get(jobs)[0].state).toBe("downloading");
    // What the history says wins (a download that failed at once goes back to finished).
    upsertJob(job({ id: 2, state: "finished", updatedAt: 10 }), true);
    expect(get(jobs)[0].state).toBe("finished");
  });

  it("watches a running job once", async () => {
    let watching = 0;
    const calls = mockBackend({
      watch_job: () => {
        watching++;
        return true;
      },
    });
    expect(await ensureWatching(3)).toBe(true);
    expect(await ensureWatching(3)).toBe(true);
    expect(watching).toBe(1);
    expect(calls[0].args).toMatchObject({ id: 3 });
  });
});
