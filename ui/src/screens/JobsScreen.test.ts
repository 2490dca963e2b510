import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { get } from "svelte/store";
import { afterEach, describe, expect, it } from "vitest";
import App from "../App.svelte";
import { route } from "../lib/router";
import { job } from "../test/fixtures";
import { emitJobUpdated, mockBackend, resetBackend, type Handler } from "../test/ipc";

afterEach(() => resetBackend());

function backend(list: ReturnType<typeof job>[], extra: Record<string, Handler> = {}) {
  return mockBackend({
    list_jobs: () => list,
    get_settings: () => ({ region: "sandbox", language: "auto" }),
    watch_job: () => false,
    job_detail: (a) => ({ job: list.find((j) => j.id === a?.id), events: [], running: false, paused: false }),
    ...extra,
  });
}

describe("Jobs", () => {
  it("lists the history, newest first, with kind, state, progress and date", async () => {
    backend([
      job({ id: 1, name: "field-7", state: "finished", createdAt: 1_764_000_000 }),
      job({ id: 2, name: "block-b", kind: "model3d", state: "processing", percentage: 0.42, createdAt: 1_764_100_000 }),
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

  it("stays live: a job-updated event changes a row and adds new jobs; the sidebar counts jobs under way", async () => {
    backend([job({ id: 1, state: "uploading" })]);
    render(App);
    await screen.findByTestId("job-row-1");
    expect(screen.getByTestId("nav-jobs-count")).toHaveTextContent("1");

    await emitJobUpdated(job({ id: 1, state: "processing", percentage: 0.25, updatedAt: 1_764_000_100 }));
    await waitFor(() => expect(screen.getByTestId("job-row-1")).toHaveTextContent("Processing"));
    expect(screen.getByTestId("job-row-1")).toHaveTextContent("25%");

    await emitJobUpdated(job({ id: 3, name: "new one", state: "uploading", createdAt: 1_764_000_500 }));
    await waitFor(() => expect(screen.getByTestId("job-row-3")).toHaveTextContent("new one"));
    expect(screen.getByTestId("nav-jobs-count")).toHaveTextContent("2");

    await emitJobUpdated(job({ id: 1, state: "finished", updatedAt: 1_764_000_200 }));
    await emitJobUpdated(job({ id: 3, name: "new one", state: "failed", updatedAt: 1_764_000_600 }));
    await waitFor(() => expect(screen.queryByTestId("nav-jobs-count")).toBeNull());
  });

  it("a row opens the job's page, by click or by keyboard", async () => {
    backend([job({ id: 5, state: "finished" })]);
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
    backend([job({ id: 1, state: "queued" })], { get_settings: () => ({ region: "cn", language: "zh-CN" }) });
    render(App);
    await waitFor(() => expect(screen.getByTestId("job-row-1")).toHaveTextContent("排队中"));
    expect(screen.getByTestId("job-row-1")).toHaveTextContent("二维地图");
  });
});
