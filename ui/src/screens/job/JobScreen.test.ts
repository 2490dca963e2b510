import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { get } from "svelte/store";
import { afterEach, describe, expect, it } from "vitest";
import App from "../../App.svelte";
import type { JobDetail, JobRecord, JobView, TaskInfo } from "../../lib/bindings";
import { jobs } from "../../lib/jobs-store";
import { route } from "../../lib/router";
import { detail, event, progress, view } from "../../test/fixtures";
import { appError, emitDesk, emitView, mockBackend, resetBackend, type Handler } from "../../test/ipc";

afterEach(() => resetBackend());

const PIPELINE: TaskInfo = { kind: "pipeline", paused: false };

/** The backend of one job: its detail, and its list. */
function backend(d: JobDetail, extra: Record<string, Handler> = {}) {
  return mockBackend({
    list_jobs: () => [d.view],
    get_settings: () => ({ region: "sandbox", language: "auto" }),
    job_detail: () => d,
    ...extra,
  });
}

function openJobPage(id = 1) {
  return render(App, { initialRoute: { screen: "job", id } });
}

const actions = () => within(screen.getByTestId("job-actions")).queryAllByRole("button").map((b) => b.dataset.testid);

describe("Job page", () => {
  it("follows a running upload: bytes, files, speed and ETA from the core's progress events", async () => {
    backend(detail({ state: "uploading" }, { task: PIPELINE }));
    openJobPage();
    expect(await screen.findByTestId("job-state")).toHaveTextContent("Uploading");
    expect(screen.getByTestId("upload-progress")).toHaveTextContent("Preparing the upload…");

    await emitDesk({ kind: "progress", data: { id: 1, progress: progress() } });
    await waitFor(() => expect(screen.getByTestId("upload-bytes")).toHaveTextContent("12 MB of 48 MB"));
    expect(screen.getByTestId("upload-files")).toHaveTextContent("3 of 12 files");
    expect(screen.getByTestId("upload-speed")).toHaveTextContent("3.4 MB/s");
    expect(screen.getByTestId("upload-eta")).toHaveTextContent("about 3 min left");
    expect(within(screen.getByTestId("upload-progress")).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "25");

    await emitDesk({ kind: "progress", data: { id: 1, progress: progress({ note: { code: "token_refreshed" } }) } });
    await waitFor(() => expect(screen.getByTestId("upload-note")).toHaveTextContent("The storage token expired; going on with a new one."));
    expect(screen.getByTestId("timeline").querySelector('[data-step="upload"]')).toHaveAttribute("data-status", "current");
  });

  it("Pause and Resume upload call the core, and the badge says Paused while paused", async () => {
    const d = detail({ state: "uploading" }, { task: PIPELINE });
    const calls = backend(d, {
      pause_job: () => view(d.view.job, { task: { kind: "pipeline", paused: true } }),
      resume_job: () => view(d.view.job, { task: PIPELINE }),
      stop_job: () => view({ ...d.view.job, state: "stopped" }),
    });
    openJobPage();
    await waitFor(() => expect(actions()).toEqual(["pause-upload", "stop-job", "open-folder", "delete-job"]));
    expect(screen.getByTestId("stop-job")).toHaveTextContent("Cancel upload");
    await fireEvent.click(screen.getByTestId("pause-upload"));
    await screen.findByTestId("resume-upload");
    expect(screen.getByTestId("job-state")).toHaveTextContent("Paused");
    // The button that took Pause's place waits a moment before it takes a click.
    expect(screen.getByTestId("resume-upload")).toBeDisabled();
    await waitFor(() => expect(screen.getByTestId("resume-upload")).toBeEnabled(), { timeout: 2000 });
    await fireEvent.click(screen.getByTestId("resume-upload"));
    await screen.findByTestId("pause-upload");
    expect(screen.getByTestId("job-state")).toHaveTextContent("Uploading");
    expect(calls.filter((c) => /^(pause|resume)_job$/.test(c.cmd)).map((c) => [c.cmd, c.args?.id])).toEqual([
      ["pause_job", 1],
      ["resume_job", 1],
    ]);
    // Cancel upload asks first, and says what happens to what was sent.
    await fireEvent.click(screen.getByTestId("stop-job"));
    expect(screen.getByTestId("confirm-action")).toHaveFocus();
    expect(screen.getByTestId("job-confirm")).toHaveTextContent("The files already sent stay in the cloud");
    await fireEvent.click(screen.getByTestId("dismiss-action"));
    expect(screen.queryByTestId("job-confirm")).toBeNull();
    expect(screen.getByTestId("stop-job")).toHaveFocus();
    expect(calls.some((c) => c.cmd === "stop_job")).toBe(false);
    await fireEvent.click(screen.getByTestId("stop-job"));
    await fireEvent.click(screen.getByTestId("confirm-action"));
    await waitFor(() => expect(screen.getByTestId("job-state")).toHaveTextContent("Stopped"));
    expect(calls.some((c) => c.cmd === "stop_job")).toBe(true);
  });

  it("when the upload ends, Stop does not take Pause's place, waits a moment, and asks before it stops the paid job", async () => {
    const d = detail({ state: "uploading" }, { task: PIPELINE });
    const calls = backend(d, { stop_job: () => view({ ...d.view.job, state: "stopped" }) });
    openJobPage();
    await waitFor(() => expect(actions()).toEqual(["pause-upload", "stop-job", "open-folder", "delete-job"]));
    const before = screen.getByTestId("stop-job");
    expect(before).toHaveAttribute("data-action", "cancel_upload");
    // The upload ends: the job is processing on the server.
    await emitView(view({ ...d.view.job, state: "processing", remoteJobUuid: "j-1" }, { task: PIPELINE, seq: 1000 }));
    await waitFor(() => expect(actions()).toEqual(["stop-job", "open-folder", "delete-job"]));
    const stop = screen.getByTestId("stop-job");
    expect(stop).toHaveAttribute("data-action", "stop");
    // The flow slot is empty and Stop stays at the right end, after the spacer.
    const bar = screen.getByTestId("job-actions");
    expect(bar.querySelector(".spacer")!.compareDocumentPosition(stop) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(stop).toBeDisabled();
    await fireEvent.click(stop);
    expect(screen.queryByTestId("job-confirm")).toBeNull();
    await waitFor(() => expect(stop).toBeEnabled(), { timeout: 2000 });
    await fireEvent.click(stop);
    expect(screen.getByTestId("job-confirm")).toHaveTextContent("cannot be resumed");
    expect(screen.getByTestId("job-confirm")).toHaveTextContent("DJI charges it again");
    await fireEvent.keyDown(screen.getByTestId("job-confirm"), { key: "Escape" });
    expect(screen.queryByTestId("job-confirm")).toBeNull();
    expect(calls.some((c) => c.cmd === "stop_job")).toBe(false);
  });

  it("an unfinished job that does not run here offers Resume; its progress then comes as events", async () => {
    const d = detail({ state: "uploading" });
    const calls = backend(d, { continue_job: () => view(d.view.job, { task: PIPELINE }) });
    openJobPage();
    expect(await screen.findByTestId("not-running")).toHaveTextContent("This job is not running in TerraDesk now.");
    await waitFor(() => expect(actions()).toEqual(["resume-job", "stop-job", "open-folder", "delete-job"]));
    await fireEvent.click(screen.getByTestId("resume-job"));
    await waitFor(() => expect(screen.queryByTestId("not-running")).toBeNull());
    expect(calls.find((c) => c.cmd === "continue_job")?.args).toMatchObject({ id: 1 });
    await emitDesk({ kind: "progress", data: { id: 1, progress: progress({ bytesDone: 24_000_000 }) } });
    await waitFor(() => expect(screen.getByTestId("upload-bytes")).toHaveTextContent("24 MB of 48 MB"));
  });

  it("processing: the server's percentage and estimate, kept live by the core's views; an older view never wins", async () => {
    const d = detail({ state: "processing", remoteJobUuid: "j-1", percentage: 0.3, remainSeconds: 240 }, { task: PIPELINE });
    backend(d);
    openJobPage();
    const panel = await screen.findByTestId("processing-progress");
    expect(panel).toHaveTextContent("30% done");
    expect(screen.getByTestId("processing-eta")).toHaveTextContent("server estimates 4 min left");
    await waitFor(() => expect(actions()).toEqual(["stop-job", "open-folder", "delete-job"]));
    expect(screen.getByTestId("stop-job")).toHaveTextContent("Stop job");

    const newer = view({ ...d.view.job, percentage: 0.8, remainSeconds: 60 }, { task: PIPELINE, seq: 1000 });
    const older = view({ ...d.view.job, percentage: 0.5, remainSeconds: 120 }, { task: PIPELINE, seq: 999 });
    await emitView(newer);
    await emitView(older);
    await waitFor(() => expect(screen.getByTestId("processing-progress")).toHaveTextContent("80% done"));
    expect(screen.getByTestId("processing-eta")).toHaveTextContent("server estimates 1 min left");
  });

  it("queued: says why it waits, in the user's words", async () => {
    const d = detail({ state: "queued", remoteJobUuid: "j-1", waitingReason: "English words from the core" }, { task: PIPELINE });
    d.view.steps = [
      { id: "upload", status: "done" },
      { id: "queue", status: "current" },
      { id: "processing", status: "pending" },
      { id: "download", status: "pending" },
      { id: "export", status: "pending" },
    ];
    backend(d);
    openJobPage();
    expect(await screen.findByTestId("waiting-reason")).toHaveTextContent("already has two unfinished jobs");
    expect(screen.getByTestId("timeline").querySelector('[data-step="queue"]')).toHaveAttribute("data-status", "current");
  });

  it("failed: the error says what to do, by its code; Retry starts a new job and opens it", async () => {
    const calls = backend(
      detail({
        state: "failed",
        remoteJobUuid: "j-1",
        error: appError("job.failed_on_server", "(English)", null, { reason: "too few photos overlap." }),
      }),
      { retry_job: () => view({ id: 2, state: "uploading", retryOf: 1 }, { task: PIPELINE }) },
    );
    openJobPage();
    expect(await screen.findByTestId("job-error")).toHaveTextContent("The reconstruction failed on the server: too few photos overlap. Check the input, then use Retry.");
    expect(actions()).toEqual(["retry-job", "open-folder", "delete-job"]);
    await fireEvent.click(screen.getByTestId("retry-job"));
    // A retry is a new paid job: it asks first.
    expect(screen.getByTestId("job-confirm")).toHaveTextContent("charges it as a new job");
    expect(calls.some((c) => c.cmd === "retry_job")).toBe(false);
    await fireEvent.click(screen.getByTestId("confirm-action"));
    await waitFor(() => expect(get(route)).toEqual({ screen: "job", id: 2 }));
    expect(calls.find((c) => c.cmd === "retry_job")?.args).toMatchObject({ id: 1 });
  });

  it("errors and the timeline show in Chinese in the Chinese UI", async () => {
    backend(
      detail(
        { state: "failed", error: appError("auth.clock_skew", "This computer's clock is off by 10 minutes (behind)…", "offset_seconds=-600", { offsetSecs: -600 }) },
        { events: [event("draft", "note.created", "Job created"), event("uploading", "note.resource_created", "Resource created")] },
      ),
      { get_settings: () => ({ region: "us", language: "zh-CN" }) },
    );
    openJobPage();
    expect(await screen.findByTestId("job-error")).toHaveTextContent("本机时钟与服务器相差 10 分钟（慢）");
    expect(screen.getByTestId("event-log")).toHaveTextContent("已在服务器上创建资源");
    expect(screen.getByTestId("event-log")).toHaveTextContent("任务已创建");
  });

  it("an unreadable job says why and offers only Delete", async () => {
    backend(detail({ state: "unreadable", unreadable: "unknown state \"teleporting\"" }));
    openJobPage();
    expect(await screen.findByTestId("unreadable")).toHaveTextContent("teleporting");
    expect(actions()).toEqual(["open-folder", "delete-job"]);
  });

  it("Delete asks first, can delete on the server too, then goes back to Jobs", async () => {
    const calls = backend(detail({ state: "finished", remoteJobUuid: "j-1", outputResourceUuid: "out-1" }), {
      delete_job: () => null,
      result_outputs: () => [],
    });
    openJobPage();
    await fireEvent.click(await screen.findByTestId("delete-job"));
    expect(screen.getByTestId("confirm-delete-job")).toHaveFocus();
    expect(screen.getByRole("group", { name: /Delete “field-7” from the history\?/ })).toBeInTheDocument();
    await fireEvent.click(screen.getByTestId("delete-remote"));
    expect(screen.getByTestId("delete-remote-note")).toHaveTextContent("cannot be downloaded again");
    await fireEvent.click(screen.getByTestId("confirm-delete-job"));
    await waitFor(() => expect(get(route)).toEqual({ screen: "jobs" }));
    expect(calls.find((c) => c.cmd === "delete_job")?.args).toEqual({ id: 1, remote: true });
    expect(get(jobs)).toEqual([]);
  });

  it("Open folder shows the dataset in the file manager", async () => {
    const calls = backend(detail({ state: "stopped" }), { reveal: () => null });
    openJobPage();
    await fireEvent.click(await screen.findByTestId("open-folder"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "reveal")?.args).toEqual({ id: 1, place: "dataset" }));
  });

  it("results: choose outputs, download with progress (and pause it), then export the Terra ZIP", async () => {
    let record: JobRecord = detail({ state: "finished", remoteJobUuid: "j-1", outputResourceUuid: "out-1" }).view.job;
    let current: JobView = view(record);
    let downloaded = false;
    let imagesHere = false;
    const calls = backend(
      { view: current, events: [], progress: null },
      {
        job_detail: () => ({ view: current, events: [], progress: null }),
        result_outputs: () => [
          { name: "AT", files: 3, bytes: 1200, downloaded },
          { name: "images", files: 12, bytes: 48_000_000, downloaded: imagesHere },
          { name: "map", files: 2, bytes: 2_000_000, downloaded },
          { name: "mission.json", files: 1, bytes: 300, downloaded },
        ],
        download_result: () => {
          record = { ...record, state: "downloading" };
          current = view(record, { task: { kind: "download", paused: false } });
          return current;
        },
        cancel_task: () => current,
        export_zip: () => {
          current = view(record, { task: { kind: "export", paused: false } });
          return current;
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
    // Processing is done and the download waits for the user.
    expect(screen.getByTestId("timeline").querySelector('[data-step="download"]')).toHaveAttribute("data-status", "ready");

    await fireEvent.click(screen.getByTestId("result-output-images"));
    expect(at).toBeChecked();
    await fireEvent.click(screen.getByTestId("download-result"));
    expect(calls.find((c) => c.cmd === "download_result")?.args).toMatchObject({ id: 1, outputs: ["AT", "map", "mission.json"] });
    await emitDesk({ kind: "progress", data: { id: 1, progress: progress({ phase: "download", bytesDone: 1_000_000, bytesTotal: 2_001_500, filesDone: 2, filesTotal: 6 }) } });
    const bar = await screen.findByTestId("download-progress");
    await waitFor(() => expect(bar).toHaveTextContent("1 MB of 2 MB · 2 of 6 files · 50%"));
    expect(screen.getByTestId("cancel-download")).toBeInTheDocument();

    // The download ends: the job is downloaded, and the report says what was refused.
    const refused = [{ name: "../evil.txt", reason: "leaves the result folder" }, ...Array.from({ length: 250 }, (_, i) => ({ name: `/abs/${i}.txt`, reason: "an absolute path" }))];
    record = { ...record, state: "downloaded", downloadDir: "/data/results/1-field-7" };
    current = view(record);
    downloaded = true;
    await emitView(current);
    await emitDesk({
      kind: "ended",
      data: {
        id: 1,
        end: { kind: "download", report: { folder: "/data/results/1-field-7", files: 6, bytes: 2_001_500, skippedExisting: 0, refused } },
      },
    });
    expect(await screen.findByTestId("download-done")).toHaveTextContent("Downloaded 6 files (2 MB) to /data/results/1-field-7");
    expect(screen.getByTestId("download-refused")).toHaveTextContent("../evil.txt — leaves the result folder");
    // 251 refused names: a hundred drawn, more on the user's ask.
    const list = screen.getByTestId("download-refused-list");
    expect(list.querySelectorAll("li")).toHaveLength(101);
    expect(within(list).getByTestId("list-more")).toHaveTextContent("Show 100 more (of 151 not shown)");
    await fireEvent.click(within(list).getByTestId("list-more"));
    await fireEvent.click(within(list).getByTestId("list-more"));
    expect(list.querySelectorAll("li")).toHaveLength(251);
    expect(within(list).queryByTestId("list-more")).toBeNull();
    await waitFor(() => expect(screen.getByTestId("job-state")).toHaveTextContent("Downloaded"));
    // What is on disk is asked again after the download.
    expect(await screen.findByTestId("result-here-map")).toBeInTheDocument();
    expect(screen.queryByTestId("result-here-images")).toBeNull();
    // Before the export: what the ZIP will hold, and what it will not because it is not downloaded.
    expect(screen.getByTestId("export-will-hold")).toHaveTextContent("AT, map, mission.json");
    expect(screen.getByTestId("export-not-downloaded-yet")).toHaveTextContent("Not downloaded, so not in the ZIP: images");

    await fireEvent.click(screen.getByTestId("export-zip"));
    record = { ...record, state: "exported", exportPath: "/home/me/field-7.zip" };
    current = view(record);
    await emitView(current);
    await emitDesk({
      kind: "ended",
      data: { id: 1, end: { kind: "export", report: { path: "/home/me/field-7.zip", entries: 6, bytes: 1_900_000, moved: [["result/map", "map"]], missing: [], notDownloaded: ["images"] } } },
    });
    const done = await screen.findByTestId("export-done");
    expect(done).toHaveTextContent("Exported /home/me/field-7.zip");
    expect(done).toHaveTextContent("6 files, 1.9 MB");
    expect(screen.getByTestId("export-moved")).toHaveTextContent("result/map → map");
    // Not downloaded is said as such, not blamed on the result.
    expect(screen.getByTestId("export-not-downloaded")).toHaveTextContent("Not in the ZIP because they were not downloaded: images");
    expect(screen.queryByTestId("export-missing")).toBeNull();
    await fireEvent.click(screen.getByTestId("show-in-folder"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "reveal").at(-1)?.args).toEqual({ id: 1, place: "zip" }));

    // images/ downloaded afterwards: the old report goes, and the export section says the ZIP would hold it.
    imagesHere = true;
    record = { ...record, state: "downloaded" };
    current = view(record);
    await emitView(current);
    await emitDesk({ kind: "ended", data: { id: 1, end: { kind: "download", report: { folder: "/data/results/1-field-7", files: 12, bytes: 48_000_000, skippedExisting: 6, refused: [] } } } });
    await waitFor(() => expect(screen.queryByTestId("export-not-downloaded-yet")).toBeNull());
    expect(screen.queryByTestId("export-not-downloaded")).toBeNull();
    expect(screen.getByTestId("export-will-hold")).toHaveTextContent("AT, images, map, mission.json");
  });

  it("a cancelled save dialog changes nothing", async () => {
    backend(detail({ state: "downloaded", outputResourceUuid: "out-1", downloadDir: "/data/results/1" }), {
      result_outputs: () => [{ name: "map", files: 1, bytes: 10, downloaded: true }],
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
      result_outputs: () => [{ name: "map", files: 1, bytes: 10, downloaded: true }],
    });
    openJobPage();
    expect(await screen.findByTestId("export-done")).toHaveTextContent("Exported /home/me/f.zip");
    expect(screen.getByTestId("show-in-folder")).toBeInTheDocument();
  });

  it("shows the event log, newest first, each entry by its code", async () => {
    backend(
      detail(
        { state: "processing", remoteJobUuid: "j" },
        { events: [event("uploading", "note.uploading", "Uploading the files"), event("submitted", "note.started", "Started on the server")] },
      ),
    );
    openJobPage();
    const log = await screen.findByTestId("event-log");
    const items = within(log).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("Started on the server");
    expect(items[1]).toHaveTextContent("Uploading the files");
  });

  it("a finished job is announced with a toast and a desktop notification", async () => {
    const d = detail({ state: "processing", remoteJobUuid: "j" }, { task: PIPELINE });
    const calls = backend(d, { notify: () => null, result_outputs: () => [] });
    openJobPage();
    await screen.findByTestId("processing-progress");
    await emitView(view({ ...d.view.job, state: "finished", outputResourceUuid: "o" }, { seq: 5000 }));
    expect(await screen.findByTestId("toast")).toHaveTextContent("field-7 is ready");
    await waitFor(() => expect(calls.find((c) => c.cmd === "notify")?.args).toMatchObject({ title: "field-7 is ready" }));
  });
});
