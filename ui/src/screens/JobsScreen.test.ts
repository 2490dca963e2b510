import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { get } from "svelte/store";
import { afterEach, describe, expect, it } from "vitest";
import App from "../App.svelte";
import { route } from "../lib/router";
import type { JobView } from "../lib/bindings";
import { view } from "../test/fixtures";
import { emitView, mockBackend, resetBackend, type Handler } from "../test/ipc";

afterEach(() => resetBackend());

function backend(list: JobView[], extra: Record<string, Handler> = {}) {
  return mockBackend({
    list_jobs: () => list,
    get_settings: () => ({ region: "sandbox", language: "auto" }),
    job_detail: (a) => ({ view: list.find((v) => v.job.id === a?.id), events: [], progress: null }),
    result_outputs: () => [],
    ...extra,
  });
}

const PIPELINE = { kind: "pipeline", paused: false } as const;

describe("Jobs", () => {
  it("lists the history, newest first, with kind, state, progress and date", async () => {
    backend([
      view({ id: 1, name: "field-7", state: "finished", createdAt: 1_764_000_000 }),
      view({ id: 2, name: "block-b", kind: "model3d", state: "processing", percentage: 0.42, createdAt: 1_764_100_000 }, { task: PIPELINE }),
    ]);
    render(App);
    const list = await screen.findByTestId("jobs-list");
    const rows = within(list).getAllByRole("button");
    expect(rows.map((r) => r.dataset.testid)).toEqual(["job-row-2", "job-row-1"]);
    const row = screen.getByTestId("job-row-2");
    expect(row).toHaveTextContent("block-b");
    expect(row).toHaveTextContent("3D model");
    expect(row).toHaveTextContent("Processing");
    expect(within(row).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "42");
    expect(row).toHaveTextContent("42%");
    expect(row).toHaveTextContent("2025");
    expect(screen.getByTestId("job-row-1")).toHaveTextContent("Finished");
  });

  it("a stopped job shows how far it got: 100% when its upload was complete, not 0%", async () => {
    const uploadedThenStopped = view({ id: 1, name: "stopped-after-upload", state: "stopped", remoteJobUuid: "j-1" });
    uploadedThenStopped.steps = [
      { id: "upload", status: "done" },
      { id: "processing", status: "stopped" },
      { id: "download", status: "pending" },
      { id: "export", status: "pending" },
    ];
    const stoppedMidUpload = view({ id: 2, name: "stopped-mid-upload", state: "stopped" });
    stoppedMidUpload.steps = [
      { id: "upload", status: "stopped" },
      { id: "processing", status: "pending" },
      { id: "download", status: "pending" },
      { id: "export", status: "pending" },
    ];
    backend([uploadedThenStopped, stoppedMidUpload]);
    render(App);
    const done = await screen.findByTestId("job-row-1");
    expect(within(done).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");
    expect(done).toHaveTextContent("Stopped");
    expect(within(screen.getByTestId("job-row-2")).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "0");
  });

  it("stays live: the core's views change a row and add new jobs; the sidebar counts jobs under way", async () => {
    backend([view({ id: 1, state: "uploading" }, { task: PIPELINE })]);
    render(App);
    await screen.findByTestId("job-row-1");
    expect(screen.getByTestId("nav-jobs-count")).toHaveTextContent("1");

    await emitView(view({ id: 1, state: "processing", percentage: 0.25 }, { task: PIPELINE }));
    await waitFor(() => expect(screen.getByTestId("job-row-1")).toHaveTextContent("Processing"));
    expect(screen.getByTestId("job-row-1")).toHaveTextContent("25%");

    await emitView(view({ id: 3, name: "new one", state: "uploading", createdAt: 1_764_000_500 }, { task: PIPELINE }));
    await waitFor(() => expect(screen.getByTestId("job-row-3")).toHaveTextContent("new one"));
    expect(screen.getByTestId("nav-jobs-count")).toHaveTextContent("2");

    await emitView(view({ id: 1, state: "finished" }));
    await emitView(view({ id: 3, name: "new one", state: "failed" }));
    await waitFor(() => expect(screen.queryByTestId("nav-jobs-count")).toBeNull());
  });

  it("a row opens the job's page, by click or by keyboard", async () => {
    backend([view({ id: 5, state: "finished" })]);
    render(App);
    const row = await screen.findByTestId("job-row-5");
    expect(row.tagName).toBe("BUTTON"); // Enter and Space work as on any button
    row.focus();
    expect(row).toHaveFocus();
    await fireEvent.click(row);
    expect(get(route)).toEqual({ screen: "job", id: 5 });
    expect(await screen.findByTestId("job-state")).toHaveTextContent("Finished");
    expect(screen.getByTestId("nav-jobs")).toHaveAttribute("aria-current", "page");
  });

  it("with no jobs, says so and offers New job", async () => {
    backend([]);
    render(App);
    const empty = await screen.findByTestId("jobs-empty");
    expect(empty).toHaveTextContent("No jobs yet");
    await fireEvent.click(screen.getByTestId("empty-new-job"));
    expect(get(route)).toEqual({ screen: "new-job" });
  });

  it("in Chinese", async () => {
    backend([view({ id: 1, state: "queued" }, { task: PIPELINE })], { get_settings: () => ({ region: "cn", language: "zh-CN" }) });
    render(App);
    await waitFor(() => expect(screen.getByTestId("job-row-1")).toHaveTextContent("排队中"));
    expect(screen.getByTestId("job-row-1")).toHaveTextContent("二维地图");
  });
});
