import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { get } from "svelte/store";
import { afterEach, describe, expect, it } from "vitest";
import App from "../../App.svelte";
import type { JobDetail, JobRecord } from "../../lib/bindings";
import { jobs } from "../../lib/jobs-store";
import { route } from "../../lib/router";
import { detail, job, upload } from "../../test/fixtures";
import { appError, emitJobUpdated, mockBackend, resetBackend, sendOn, type Handler } from "../../test/ipc";

afterEach(() => resetBackend());

/** The backend of one job; `channels` collects the Channels the page hands over, by command. */
function backend(d: JobDetail, extra: Record<string, Handler> = {}) {
  const channels: Record<string, unknown[]> = {};
  const keep = (cmd: string, ch: unknown) => (channels[cmd] ??= []).push(ch);
  const calls = mockBackend({
    list_jobs: () => [d.job],
    get_settings: () => ({ region: "sandbox", language: "auto" }),
    job_detail: () => d,
    watch_job: (a) => {
      keep("watch_job", a?.onEvent);
      return d.running;
    },
    ...extra,
  });
  return { calls, channels };
}

function openJobPage(id = 1) {
  return render(App, { initialRoute: { screen: "job", id } });
}

const actions = () => within(screen.getByTestId("job-actions")).queryAllByRole("button").map((b) => b.dataset.testid);

describe("Job page", () => {
  it("follows a running upload: bytes, files, speed and ETA from the channel", async () => {
    const { channels } = backend(detail({ state: "uploading" }, { running: true }));
    openJobPage();
    expect(await screen.findByTestId("job-state")).toHaveTextContent("Uploading");
    await waitFor(() => expect(channels.watch_job).toHaveLength(1));
    expect(screen.getByTestId("upload-progress")).toHaveTextContent("Preparing the upload…");

    sendOn(channels.watch_job[0], { event: "upload", data: upload() });
    await waitFor(() => expect(screen.getByTestId("upload-bytes")).toHaveTextContent("12 MB of 48 MB"));
    expect(screen.getByTestId("upload-files")).toHaveTextContent("3 of 12 files");
    expect(screen.getByTestId("upload-speed")).toHaveTextContent("3.4 MB/s");
    expect(screen.getByTestId("upload-eta")).toHaveTextContent("about 3 min left");
    expect(within(screen.getByTestId("upload-progress")).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "25");

    sendOn(channels.watch_job[0], { event: "upload", data: upload({ paused: true, note: "Storage token refreshed" }) });
    await waitFor(() => expect(screen.getByTestId("upload-paused")).toHaveTextContent("Paused"));
    expect(screen.queryByTestId("upload-eta")).toBeNull();
    expect(screen.getByTestId("upload-note")).toHaveTextContent("Storage token refreshed");

    expect(screen.getByTestId("timeline").querySelector('[data-step="upload"]')).toHaveAttribute("data-status", "current");
  });

  it("Pause and Resume upload call the backend; Cancel upload stops the job", async () => {
    const { calls } = backend(detail({ state: "uploading" }, { running: true }), {
      pause_upload: () => true,
      resume_upload: () => true,
      stop_job: () => job({ state: "stopped", updatedAt: 1_764_000_100 }),
    });
    openJobPage();
    await waitFor(() => expect(actions()).toEqual(["pause-upload", "stop-job", "open-folder", "delete-job"]));
    expect(screen.getByTestId("stop-job")).toHaveTextContent("Cancel upload");
    await fireEvent.click(screen.getByTestId("pause-upload"));
    await fireEvent.click(await screen.findByTestId("resume-upload"));
    await screen.findByTestId("pause-upload");
    expect(calls.filter((c) => /_upload$/.test(c.cmd)).map((c) => [c.cmd, c.args?.id])).toEqual([
      ["pause_upload", 1],
      ["resume_upload", 1],
    ]);
    await fireEvent.click(screen.getByTestId("stop-job"));
    await waitFor(() => expect(screen.getByTestId("job-state")).toHaveTextContent("Stopped"));
    expect(calls.some((c) => c.cmd === "stop_job")).toBe(true);
  });

  it("an unfinished job that does not run here offers Resume, which follows it over a channel", async () => {
    const { calls, channels } = backend(detail({ state: "uploading" }, { running: false }), {
      resume_job: (a) => {
        channels.resume_job = [a?.onEvent];
        return null;
      },
    });
    openJobPage();
    expect(await screen.findByTestId("not-running")).toHaveTextContent("This job is not running in TerraDesk now.");
    await waitFor(() => expect(actions()).toEqual(["resume-job", "stop-job", "open-folder", "delete-job"]));
    await fireEvent.click(screen.getByTestId("resume-job"));
    await waitFor(() => expect(screen.queryByTestId("not-running")).toBeNull());
    expect(calls.find((c) => c.cmd === "resume_job")?.args).toMatchObject({ id: 1 });
    sendOn(channels.resume_job[0], { event: "upload", data: upload({ bytesDone: 24_000_000 }) });
    await waitFor(() => expect(screen.getByTestId("upload-bytes")).toHaveTextContent("24 MB of 48 MB"));
  });

  it("processing: the server's percentage and estimate, kept live by job-updated", async () => {
    backend(detail({ state: "processing", remoteJobUuid: "j-1", percentage: 0.3, remainSeconds: 240 }, { running: true }));
    openJobPage();
    const panel = await screen.findByTestId("processing-progress");
    expect(panel).toHaveTextContent("30% done");
    expect(screen.getByTestId("processing-eta")).toHaveTextContent("server estimates 4 min left");
    await waitFor(() => expect(actions()).toEqual(["stop-job", "open-folder", "delete-job"]));
    expect(screen.getByTestId("stop-job")).toHaveTextContent("Stop job");

    await emitJobUpdated(job({ state: "processing", remoteJobUuid: "j-1", percentage: 0.8, remainSeconds: 60, updatedAt: 1_764_000_100 }));
    await waitFor(() => expect(screen.getByTestId("processing-progress")).toHaveTextContent("80% done"));
    expect(screen.getByTestId("processing-eta")).toHaveTextContent("server estimates 1 min left");
  });

  it("queued: says why it waits", async () => {
    backend(
      detail(
        { state: "queued", remoteJobUuid: "j-1", waitingReason: "Waiting for a free slot: the account already has two unfinished jobs." },
        { running: true, events: [{ at: 1, state: "uploading", message: "Uploading" }, { at: 2, state: "queued", message: "Waiting" }] },
      ),
    );
    openJobPage();
    expect(await screen.findByTestId("waiting-reason")).toHaveTextContent("already has two unfinished jobs");
    expect(screen.getByTestId("timeline").querySelector('[data-step="queue"]')).toHaveAttribute("data-status", "current");
  });

  it("failed: the error says what to do; Retry starts a new job and opens it", async () => {
    const { calls } = backend(
      detail({
        state: "failed",
        remoteJobUuid: "j-1",
        error: appError("other", "The reconstruction failed on the server: too few photos overlap. Check the input, then use Retry."),
      }),
      { retry_job: () => job({ id: 2, state: "uploading", retryOf: 1 }) },
    );
    openJobPage();
    expect(await screen.findByTestId("job-error")).toHaveTextContent("Check the input, then use Retry.");
    expect(actions()).toEqual(["retry-job", "open-folder", "delete-job"]);
    await fireEvent.click(screen.getByTestId("retry-job"));
    await waitFor(() => expect(get(route)).toEqual({ screen: "job", id: 2 }));
    expect(calls.find((c) => c.cmd === "retry_job")?.args).toMatchObject({ id: 1 });
  });

  it("Delete asks first, can delete on the server too, then goes back to Jobs", async () => {
    const { calls } = backend(detail({ state: "finished", remoteJobUuid: "j-1", outputResourceUuid: "out-1" }), {
      delete_job: () => null,
      result_outputs: () => [],
    });
    openJobPage();
    await fireEvent.click(await screen.findByTestId("delete-job"));
    expect(screen.getByTestId("confirm-delete-job")).toHaveFocus();
    expect(screen.getByRole("group", { name: /Delete “field-7” from the history\?/ })).toBeInTheDocument();
    await fireEvent.click(screen.getByTestId("delete-remote"));
    await fireEvent.click(screen.getByTestId("confirm-delete-job"));
    await waitFor(() => expect(get(route)).toEqual({ screen: "jobs" }));
    expect(calls.find((c) => c.cmd === "delete_job")?.args).toEqual({ id: 1, remote: true });
    expect(get(jobs)).toEqual([]);
  });

  it("Open folder shows the dataset in the file manager", async () => {
    const { calls } = backend(detail({ state: "stopped" }), { reveal: () => null });
    openJobPage();
    await fireEvent.click(await screen.findByTestId("open-folder"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "reveal")?.args).toEqual({ path: "/surveys/field-7" }));
  });

  it("results: choose outputs, download with progress, then export the Terra ZIP", async () => {
    let state: JobRecord = job({ state: "finished", remoteJobUuid: "j-1", outputResourceUuid: "out-1" });
    let release!: () => void;
    const { calls } = backend(
      { job: state, events: [], running: false, paused: false },
      {
        job_detail: () => ({ job: state, events: [], running: false, paused: false }),
        result_outputs: () => [
          { name: "AT", files: 3, bytes: 1200 },
          { name: "images", files: 12, bytes: 48_000_000 },
          { name: "map", files: 2, bytes: 2_000_000 },
          { name: "mission.json", files: 1, bytes: 300 },
        ],
        download_result: (a) =>
          new Promise((resolve) => {
            sendOn(a?.onEvent, { event: "download", data: { bytesDone: 1_000_000, bytesTotal: 2_001_500, filesDone: 2, filesTotal: 6 } });
            release = () => {
              state = { ...state, state: "downloaded", downloadDir: "/data/results/1-field-7", updatedAt: state.updatedAt + 1 };
              sendOn(a?.onEvent, { event: "job", data: state });
              resolve({
                folder: "/data/results/1-field-7",
                files: 6,
                bytes: 2_001_500,
                skippedExisting: 0,
                refused: [{ name: "../evil.txt", reason: "leaves the result folder" }],
              });
            };
          }),
        export_zip: () => {
          state = { ...state, state: "exported", exportPath: "/home/me/field-7.zip", updatedAt: state.updatedAt + 1 };
          return { path: "/home/me/field-7.zip", entries: 6, bytes: 1_900_000, moved: [["result/map", "map"]], missing: [] };
        },
        reveal: () => null,
      },
    );
    openJobPage();
    const at = await screen.findByTestId("result-output-AT");
    for (const name of ["AT", "images", "map", "mission.json"]) {
      expect(screen.getByTestId(`result-output-${name}`)).toBeChecked();
    }
    expect(screen.getByTestId("results")).toHaveTextContent("12 files · 48 MB");
    expect(screen.queryByTestId("export-zip")).toBeNull();

    await fireEvent.click(screen.getByTestId("result-output-images"));
    expect(at).toBeChecked();
    await fireEvent.click(screen.getByTestId("download-result"));
    const progress = await screen.findByTestId("download-progress");
    await waitFor(() => expect(progress).toHaveTextContent("1 MB of 2 MB · 2 of 6 files · 50%"));
    expect(calls.find((c) => c.cmd === "download_result")?.args).toMatchObject({ id: 1, outputs: ["AT", "map", "mission.json"] });

    release();
    expect(await screen.findByTestId("download-done")).toHaveTextContent("Downloaded 6 files (2 MB) to /data/results/1-field-7");
    expect(screen.getByTestId("download-refused")).toHaveTextContent("../evil.txt — leaves the result folder");
    await waitFor(() => expect(screen.getByTestId("job-state")).toHaveTextContent("Downloaded"));
    expect(screen.getByTestId("timeline").querySelector('[data-step="export"]')).toHaveAttribute("data-status", "current");

    await fireEvent.click(screen.getByTestId("export-zip"));
    const done = await screen.findByTestId("export-done");
    expect(done).toHaveTextContent("Exported /home/me/field-7.zip");
    expect(done).toHaveTextContent("6 files, 1.9 MB");
    expect(screen.getByTestId("export-moved")).toHaveTextContent("result/map → map");
    await fireEvent.click(screen.getByTestId("show-in-folder"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "reveal").at(-1)?.args).toEqual({ path: "/home/me/field-7.zip" }));
  });

  it("a cancelled save dialog changes nothing", async () => {
    backend(detail({ state: "downloaded", outputResourceUuid: "out-1", downloadDir: "/data/results/1" }), {
      result_outputs: () => [{ name: "map", files: 1, bytes: 10 }],
      export_zip: () => null,
    });
    openJobPage();
    await fireEvent.click(await screen.findByTestId("export-zip"));
    await waitFor(() => expect(screen.getByTestId("export-zip")).toBeEnabled());
    expect(screen.queryByTestId("export-done")).toBeNull();
    expect(screen.queryByTestId("results-action-error")).toBeNull();
  });

  it("an exported job shows where its ZIP is, after a restart too", async () => {
    backend(detail({ state: "exported", outputResourceUuid: "out-1", downloadDir: "/d", exportPath: "/home/me/f.zip" }), {
      result_outputs: () => [{ name: "map", files: 1, bytes: 10 }],
    });
    openJobPage();
    expect(await screen.findByTestId("export-done")).toHaveTextContent("Exported /home/me/f.zip");
    expect(screen.getByTestId("show-in-folder")).toBeInTheDocument();
  });

  it("shows the event log", async () => {
    backend(
      detail(
        { state: "processing", remoteJobUuid: "j" },
        {
          events: [
            { at: 1_764_000_000, state: "uploading", message: "Uploading the photos" },
            { at: 1_764_000_060, state: "submitted", message: "Started on the server" },
          ],
        },
      ),
    );
    openJobPage();
    const log = await screen.findByTestId("event-log");
    const items = within(log).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("Started on the server");
    expect(items[1]).toHaveTextContent("Uploading the photos");
  });
});
