import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { get } from "svelte/store";
import { afterEach, describe, expect, it } from "vitest";
import App from "../App.svelte";
import type { FieldError, JobKind, JobParameters } from "../lib/bindings";
import { route } from "../lib/router";
import { SCHEMA, summary, view } from "../test/fixtures";
import { appError, mockBackend, resetBackend, type Handler } from "../test/ipc";

afterEach(() => resetBackend());

/** A backend for New job; `validate` decides the field errors. */
function backend(overrides: Record<string, Handler> = {}, validate: (p: JobParameters) => FieldError[] = () => []) {
  return mockBackend({
    scan_folder: (a) => {
      const path = String(a?.path);
      const name = path.split("/").pop()!;
      return summary({ root: path, name });
    },
    param_schema: (a) => SCHEMA[a?.kind as JobKind],
    validate_params: (a) => validate(a?.params as JobParameters),
    search_coordinate_systems: (a) =>
      String(a?.query).includes("50")
        ? [{ code: "EPSG:32650", name: "WGS 84 / UTM zone 50N" }]
        : [],
    start_job: (a) => view({ id: 41, name: String(a?.name), dataset: String(a?.folder) }, { task: { kind: "pipeline", paused: false } }),
    list_jobs: () => [],
    get_settings: () => ({ region: "sandbox", language: "auto" }),
    ...overrides,
  });
}

async function drop(...paths: string[]) {
  window.__TERRADESK_DROP__!(paths);
  await waitFor(() => expect(screen.getAllByTestId("dataset-summary")).toHaveLength(paths.length));
}

describe("New job", () => {
  it("starts with a drop zone and a Choose folder button", () => {
    backend();
    render(App, { initialScreen: "new-job" });
    const zone = screen.getByTestId("new-job-drop");
    expect(zone).toHaveTextContent("Drag one or more survey folders here");
    expect(screen.getByTestId("pick-folder")).toHaveTextContent("Choose folder…");
    expect(screen.queryByTestId("start-job")).toBeNull();
  });

  it("a drop anywhere scans the folder and shows its summary, with what was skipped and why", async () => {
    let release!: () => void;
    const calls = backend({
      scan_folder: (a) =>
        new Promise((resolve) => {
          release = () =>
            resolve(
              summary({
                root: String(a?.path),
                name: "field-7",
                fileCount: 1234,
                photos: 1230,
                totalBytes: 12_400_000_000,
                skipped: [
                  { name: ".DS_Store", code: "system_file", reason: "(English)" },
                  { name: "flight/loop", code: "link_loop", reason: "(English)" },
                ],
                skippedCount: 2,
                skippedCodes: [
                  { code: "system_file", count: 1 },
                  { code: "link_loop", count: 1 },
                ],
              }),
            );
        }),
    });
    render(App); // on Jobs
    window.__TERRADESK_DROP__!(["/surveys/field-7"]);
    // The window goes to New job, and a spinner shows while the folder is scanned.
    expect(await screen.findByTestId("dataset-scanning")).toHaveTextContent("Scanning field-7…");
    expect(get(route).screen).toBe("new-job");
    release();
    const card = await screen.findByTestId("dataset-summary");
    expect(within(card).getByTestId("summary-files")).toHaveTextContent("1,234");
    expect(within(card).getByTestId("summary-photos")).toHaveTextContent("1,230");
    expect(within(card).getByTestId("summary-size")).toHaveTextContent("12.4 GB");
    expect(within(card).getByTestId("summary-lidar")).toHaveTextContent("0");
    expect(within(card).getByTestId("summary-skipped")).toHaveTextContent("2 skipped — why?");
    // Each reason in the user's words, from its code.
    expect(within(card).getByTestId("summary-skipped")).toHaveTextContent(".DS_Store — system file (made by the operating system");
    expect(within(card).getByTestId("summary-skipped")).toHaveTextContent("flight/loop — a link back to a folder already in the survey");
    expect(calls.find((c) => c.cmd === "scan_folder")?.args).toEqual({ path: "/surveys/field-7" });
  });

  it("a folder of thousands of skipped files shows them counted by reason and the first few by name", async () => {
    const names = Array.from({ length: 200 }, (_, i) => `._DJI_${String(i).padStart(5, "0")}.JPG`);
    backend({
      scan_folder: () =>
        summary({
          name: "mac-copy",
          skipped: names.map((name) => ({ name, code: "resource_fork", reason: "(English)" })),
          skippedCount: 20_001,
          skippedCodes: [
            { code: "resource_fork", count: 20_000 },
            { code: "system_file", count: 1 },
          ],
        }),
    });
    render(App, { initialScreen: "new-job" });
    await drop("/surveys/mac-copy");
    const skipped = screen.getByTestId("summary-skipped");
    expect(skipped).toHaveTextContent("20,001 skipped — why?");
    expect(within(skipped).getByTestId("skipped-codes")).toHaveTextContent("20,000");
    expect(within(skipped).getByTestId("skipped-more")).toHaveTextContent("… and 19,801 more");
    // Never a row per file: the 200 named, the reasons, the line that says how many more.
    expect(skipped.querySelectorAll("li").length).toBeLessThan(210);
  });

  it("shows the backend's message when a path is not a folder", async () => {
    backend({
      scan_folder: () => {
        throw appError("dataset.not_a_folder", "/tmp/a.jpg is a file, not a folder. Choose the folder that holds the photos or scans.", null, { path: "/tmp/a.jpg" });
      },
    });
    render(App, { initialScreen: "new-job" });
    window.__TERRADESK_DROP__!(["/tmp/a.jpg"]);
    expect(await screen.findByTestId("dataset-error")).toHaveTextContent("is a file, not a folder");
    expect(screen.getByTestId("start-job")).toBeDisabled();
  });

  it("Choose folder… uses the native dialog and shows the summary it returns", async () => {
    const calls = backend({ pick_folder: () => summary({ name: "block-b", root: "/surveys/block-b" }) });
    render(App, { initialScreen: "new-job" });
    await fireEvent.click(screen.getByTestId("pick-folder"));
    const card = await screen.findByTestId("dataset-summary");
    expect(card).toHaveTextContent("block-b");
    expect(calls.map((c) => c.cmd)).toContain("pick_folder");
    expect(screen.getByTestId("job-name")).toHaveValue("block-b");
  });

  it("preselects the suggested kind with a badge, and renders the form from the schema", async () => {
    backend();
    render(App, { initialScreen: "new-job" });
    await drop("/surveys/field-7");
    expect(screen.getByTestId("kind-2d")).toHaveAttribute("aria-checked", "true");
    expect(screen.getByTestId("kind-2d")).toHaveTextContent("suggested");
    expect(screen.getByTestId("job-name")).toHaveValue("field-7");

    // Essentials shown, advanced folded; every field with its label, range/unit and help.
    const quality = await screen.findByTestId("param-quality_level");
    expect(quality.tagName).toBe("SELECT");
    expect(within(quality).getAllByRole("option").map((o) => o.textContent)).toEqual(["High", "Medium", "Low"]);
    expect(screen.getByLabelText("Quality")).toBe(quality);
    expect(screen.getByText("Higher quality takes longer.")).toBeInTheDocument();
    const tile = screen.getByTestId("param-dom_tile_size");
    expect(tile).not.toBeVisible();
    expect(screen.getByTestId("params-advanced")).toHaveTextContent("Advanced (2)");
    expect(tile.closest(".field")).toHaveTextContent("Range 0 – 65536 px · even numbers");
    expect(tile).toHaveAttribute("step", "2");
    expect(screen.getByTestId("param-use_Wallis")).toHaveAttribute("type", "checkbox");
  });

  it("switching the kind loads its schema; fields that need a switch are disabled while it is off", async () => {
    const calls = backend();
    render(App, { initialScreen: "new-job" });
    await drop("/surveys/field-7");
    await fireEvent.click(screen.getByTestId("kind-3d"));
    expect(screen.getByTestId("kind-3d")).toHaveAttribute("aria-checked", "true");
    const obj = await screen.findByTestId("param-generate_obj");
    expect(calls.filter((c) => c.cmd === "param_schema").map((c) => c.args?.kind)).toEqual(["map2d", "model3d"]);
    expect(obj).toBeEnabled();
    expect(screen.getByTestId("param-model_simplify").closest(".field")).toHaveTextContent("Range 0.05 – 1");

    await fireEvent.click(screen.getByTestId("param-output_mesh"));
    expect(obj).toBeDisabled();
    expect(obj.closest(".field")).toHaveClass("disabled");
    expect(obj.closest(".field")).toHaveTextContent("Applies when “Mesh model” is on.");
    const last = calls.filter((c) => c.cmd === "validate_params").at(-1);
    expect(last?.args?.params).toEqual({ kind: "model3d", values: { output_mesh: false } });
  });

  it("shows each field error from validate_params next to its field, and Start waits", async () => {
    backend({}, (p) =>
      p.values.model_simplify !== undefined && Number(p.values.model_simplify) < 0.05
        ? [{ key: "model_simplify", message: "must be from 0.05 to 1" }]
        : [],
    );
    render(App, { initialScreen: "new-job" });
    await drop("/surveys/field-7");
    await fireEvent.click(screen.getByTestId("kind-3d"));
    const simplify = await screen.findByTestId("param-model_simplify");
    await fireEvent.input(simplify, { target: { value: "0.01" } });
    const error = await screen.findByTestId("param-error-model_simplify");
    expect(error).toHaveTextContent("must be from 0.05 to 1");
    expect(simplify).toHaveAttribute("aria-invalid", "true");
    // The advanced section opens to show it.
    expect(simplify).toBeVisible();
    expect(screen.getByTestId("start-job")).toBeDisabled();
    expect(screen.getByTestId("start-status")).toHaveTextContent("Fix the parameters marked in red.");

    await fireEvent.input(simplify, { target: { value: "0.5" } });
    await waitFor(() => expect(screen.queryByTestId("param-error-model_simplify")).toBeNull());
    expect(screen.getByTestId("start-job")).toBeEnabled();
  });

  it("a preset fills the values; only set values are sent", async () => {
    const calls = backend();
    render(App, { initialScreen: "new-job" });
    await drop("/surveys/field-7");
    const select = screen.getByTestId("preset-select");
    await waitFor(() => expect(within(select).getAllByRole("option")).toHaveLength(2));
    // Only the presets of the chosen kind.
    expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual(["None (defaults)", "2D farmland, fast"]);
    await fireEvent.change(select, { target: { value: "2d-farmland-fast" } });
    await waitFor(() => expect(screen.getByTestId("param-map_mode")).toHaveDisplayValue("Farmland"));
    expect(screen.getByTestId("param-quality_level")).toHaveDisplayValue("Low");
    const last = calls.filter((c) => c.cmd === "validate_params").at(-1);
    expect(last?.args?.params).toEqual({ kind: "map2d", values: { map_mode: 0, quality_level: 3 } });

    await fireEvent.click(screen.getByTestId("reset-params"));
    await waitFor(() => expect(screen.getByTestId("param-map_mode")).toHaveDisplayValue("City"));
  });

  it("the coordinate system is searched and chosen; empty means automatic", async () => {
    const calls = backend();
    render(App, { initialScreen: "new-job" });
    await drop("/surveys/field-7");
    const cs = await screen.findByTestId("param-output_cs");
    expect(cs).toHaveAttribute("placeholder", expect.stringContaining("Automatic"));
    await fireEvent.focus(cs);
    await fireEvent.input(cs, { target: { value: "utm 50" } });
    const option = await screen.findByTestId("cs-option-EPSG:32650");
    expect(option).toHaveTextContent("EPSG:32650 — WGS 84 / UTM zone 50N");
    expect(calls.some((c) => c.cmd === "search_coordinate_systems" && c.args?.query === "utm 50")).toBe(true);
    await fireEvent.click(option);
    await fireEvent.blur(cs);
    await waitFor(() => expect(cs).toHaveValue("EPSG:32650 — WGS 84 / UTM zone 50N"));
    expect(calls.filter((c) => c.cmd === "validate_params").at(-1)?.args?.params).toEqual({
      kind: "map2d",
      values: { output_cs: "EPSG:32650" },
    });

    // A bare code typed is normalised; emptied, it goes back to automatic.
    await fireEvent.focus(cs);
    await fireEvent.input(cs, { target: { value: "4326" } });
    await fireEvent.keyDown(cs, { key: "Escape" });
    await fireEvent.input(cs, { target: { value: "4326" } });
    await fireEvent.blur(cs);
    await waitFor(() =>
      expect(calls.filter((c) => c.cmd === "validate_params").at(-1)?.args?.params).toEqual({
        kind: "map2d",
        values: { output_cs: "EPSG:4326" },
      }),
    );
    await fireEvent.focus(cs);
    await fireEvent.input(cs, { target: { value: "" } });
    await fireEvent.blur(cs);
    await waitFor(() =>
      expect(calls.filter((c) => c.cmd === "validate_params").at(-1)?.args?.params).toEqual({ kind: "map2d", values: {} }),
    );
  });

  it("problems of the chosen kind are warnings that block Start", async () => {
    backend();
    render(App, { initialScreen: "new-job" });
    await drop("/surveys/field-7");
    expect(screen.queryByTestId("summary-problems")).toBeNull();
    await fireEvent.click(screen.getByTestId("kind-lidar"));
    expect(screen.getByTestId("summary-problems")).toHaveTextContent("Cannot start as a LiDAR point cloud:");
    expect(screen.getByTestId("summary-problems")).toHaveTextContent("needs a DJI L1/L2 mission folder");
    expect(screen.getByTestId("start-job")).toBeDisabled();
    expect(screen.getByTestId("start-status")).toHaveTextContent("does not fit this type of result");
  });

  it("Start calls start_job with the name, folder and parameters, then opens the job", async () => {
    const calls = backend();
    render(App, { initialScreen: "new-job" });
    await drop("/surveys/field-7");
    await screen.findByTestId("param-quality_level");
    await fireEvent.input(screen.getByTestId("job-name"), { target: { value: "Field 7, north" } });
    await fireEvent.change(screen.getByTestId("param-quality_level"), { target: { value: "1" } });
    const start = screen.getByTestId("start-job");
    await waitFor(() => expect(start).toBeEnabled());
    expect(start).toHaveTextContent("Start");
    expect(screen.getByTestId("start-status")).toHaveTextContent("Uploads 48.3 MB from Field 7, north");
    await fireEvent.click(start);
    await waitFor(() => expect(get(route)).toEqual({ screen: "job", id: 41 }));
    const call = calls.find((c) => c.cmd === "start_job")!;
    expect(call.args).toMatchObject({
      name: "Field 7, north",
      folder: "/surveys/field-7",
      params: { kind: "map2d", values: { quality_level: 2 } },
      options: { leaveOutOthers: false },
    });
  });

  it("names every file that is not a photo or LiDAR file, and leaves them out when asked", async () => {
    const others = [
      { name: "DJI_0099.JPG", size: 5_000, notAnImage: true },
      { name: "LICENSE", size: 1_000, notAnImage: false },
      { name: "notes.docx", size: 294_000, notAnImage: false },
    ];
    const calls = backend({
      scan_folder: (a) =>
        summary({ root: String(a?.path), name: "field-7", fileCount: 15, totalBytes: 48_300_000, others, otherCount: 3, otherBytes: 300_000, photosWithoutExif: 2 }),
    });
    render(App, { initialScreen: "new-job" });
    await drop("/surveys/field-7");
    const card = screen.getByTestId("dataset-summary");
    const box = within(card).getByTestId("summary-others");
    expect(box).toHaveTextContent("3 files are not photos or LiDAR files (300 KB)");
    expect(within(box).getByTestId("others-list")).toHaveTextContent("LICENSE");
    expect(within(box).getByTestId("others-list")).toHaveTextContent("notes.docx");
    // Random bytes named .JPG: said to be no image.
    expect(within(box).getAllByTestId("not-an-image")).toHaveLength(1);
    expect(within(box).getByTestId("not-an-image").closest("li")).toHaveTextContent("DJI_0099.JPG");
    expect(within(card).getByTestId("summary-no-exif")).toHaveTextContent("2 photos carry no EXIF data");
    expect(within(card).getByTestId("summary-files")).toHaveTextContent("15");

    await fireEvent.click(within(box).getByTestId("others-leave-out"));
    // What will go up is counted without them.
    await waitFor(() => expect(within(card).getByTestId("summary-files")).toHaveTextContent("12"));
    expect(within(card).getByTestId("summary-size")).toHaveTextContent("48 MB");
    const start = screen.getByTestId("start-job");
    await waitFor(() => expect(start).toBeEnabled());
    expect(screen.getByTestId("start-status")).toHaveTextContent("Uploads 48 MB");
    await fireEvent.click(start);
    await waitFor(() => expect(get(route)).toEqual({ screen: "job", id: 41 }));
    expect(calls.find((c) => c.cmd === "start_job")!.args).toMatchObject({ folder: "/surveys/field-7", options: { leaveOutOthers: true } });
  });

  it("several folders: one job per folder, same kind and parameters", async () => {
    let id = 50;
    const calls = backend({ start_job: (a) => view({ id: id++, name: String(a?.name) }) });
    render(App, { initialScreen: "new-job" });
    await drop("/surveys/a", "/surveys/b");
    expect(screen.getByTestId("job-name-many")).toHaveTextContent("Each job is named after its folder.");
    const start = screen.getByTestId("start-job");
    await waitFor(() => expect(start).toHaveTextContent("Start 2 jobs"));
    await fireEvent.click(start);
    await waitFor(() => expect(get(route)).toEqual({ screen: "jobs" }));
    const starts = calls.filter((c) => c.cmd === "start_job").map((c) => [c.args?.name, c.args?.folder]);
    expect(starts).toEqual([
      ["a", "/surveys/a"],
      ["b", "/surveys/b"],
    ]);
  });

  it("a refused start says why and keeps the draft", async () => {
    backend({
      start_job: () => {
        throw appError("auth.no_keys", "(English)", null, { region: "cn" });
      },
    });
    render(App, { initialScreen: "new-job" });
    await drop("/surveys/field-7");
    const start = screen.getByTestId("start-job");
    await waitFor(() => expect(start).toBeEnabled());
    await fireEvent.click(start);
    expect(await screen.findByTestId("start-error")).toHaveTextContent("No AccessKey and SecretKey are saved for the China region.");
    expect(screen.getByTestId("dataset-summary")).toBeInTheDocument();
  });

  it("speaks the saved language (Chinese), labels from the schema included", async () => {
    backend({ get_settings: () => ({ region: "sandbox", language: "zh-CN" }) });
    render(App, { initialScreen: "new-job" });
    await waitFor(() => expect(screen.getByTestId("new-job-drop")).toHaveTextContent("将一个或多个航测文件夹拖到这里"));
    await drop("/surveys/field-7");
    expect(screen.getByTestId("kind-2d")).toHaveTextContent("二维地图");
    expect(await screen.findByLabelText("重建质量")).toBeInTheDocument();
    expect(screen.getByTestId("start-job")).toHaveTextContent("开始");
  });
});
