import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import type { DoctorReport } from "../../lib/api";
import { locale } from "../../lib/i18n";
import { mockBackend, resetBackend } from "../../test/ipc";
import type { DatasetEntry } from "../../lib/new-job.svelte";
import { NewJobDraft, uploadSize } from "../../lib/new-job.svelte";
import DoctorFindings from "./DoctorFindings.svelte";

afterEach(() => {
  resetBackend();
  locale.set("en");
});

const photo = (name: string, lat: number | null) => ({
  name, size: 900_000, lat, lon: lat === null ? null : 7.62, absAlt: 349.5, relAlt: 44.5, gimbalPitch: -90, gimbalYaw: 107,
  make: "DJI", model: "FC6360", serial: null, width: 1600, height: 1300, taken: "2026:01:26 13:50:17", rtkFlag: 50, rtkStd: 0.014, flight: 1, unreadable: null, leftOut: false,
});

function entry(): DatasetEntry {
  const summary = { root: "/surveys/field-7", fileCount: 4, totalBytes: 3_600_000, otherCount: 0, otherBytes: 0 } as DatasetEntry["summary"];
  // Held by a draft, as on New job: its folders are reactive state.
  const d = new NewJobDraft();
  d.datasets.push({ key: 1, path: "/surveys/field-7", status: "ready", summary, error: null, leaveOut: false, leftOut: {} });
  return d.datasets[0];
}

const report: DoctorReport = {
  photos: [photo("DJI_0010.JPG", 45.03), photo("DJI_0020.JPG", 45.031), photo("DJI_9999.JPG", null)],
  findings: [
    { code: "lidar_incomplete", severity: "error", count: 1, files: ["SCAN_0001.LDR"], params: { SCAN_0001: ".RTK" }, message: "(English)" },
    { code: "no_gps", severity: "warning", count: 1, files: ["DJI_9999.JPG"], params: { all: "false" }, message: "(English)" },
    { code: "several_cameras", severity: "warning", count: 1, files: ["DJI_0050.JPG"], params: { cameras: "FC6360, FC7303" }, message: "(English)" },
    { code: "limits", severity: "error", count: 0, files: [], params: { error: "dataset.too_few_photos", kind: "map2d", photos: "3", min: "10" }, message: "(English)" },
  ],
  flights: 1,
  cameras: ["FC6360", "FC7303"],
  megapixels: 6.24,
  suggestedKind: "map2d",
  uploadSeconds: 125,
  uploadFiles: 3,
  uploadBytes: 2_700_000,
  leftOutFiles: 0,
  leftOutBytes: 0,
};

describe("New job → the doctor's findings", () => {
  it("says each finding in the user's language with its files, and the survey in a line", async () => {
    const calls = mockBackend({ doctor: () => report });
    render(DoctorFindings, { path: "/surveys/field-7", kind: "map2d", entry: entry() });
    expect(await screen.findByTestId("doctor-summary")).toHaveTextContent("2 of 3 photos placed · FC6360, FC7303 · 1 flight(s) · 6 megapixels");
    expect(screen.getByTestId("doctor-summary")).toHaveTextContent("Upload about 2 min");
    expect(screen.getByTestId("finding-lidar_incomplete")).toHaveAttribute("data-severity", "error");
    expect(screen.getByTestId("finding-no_gps")).toHaveTextContent("Check: 1 photo(s) have no GPS position");
    expect(screen.getByTestId("finding-several_cameras")).toHaveTextContent("several cameras (FC6360, FC7303)");
    expect(screen.getByTestId("finding-files-no_gps")).toHaveTextContent("DJI_9999.JPG");
    // DJI's limits, worded as the same error is everywhere.
    expect(screen.getByTestId("finding-limits")).toHaveTextContent(/needs at least 10 photos; the folder has 3/);
    expect(calls[0]).toEqual({ cmd: "doctor", args: { path: "/surveys/field-7", kind: "map2d", options: { leaveOutOthers: false, leftOut: [] } } });
    // The map: a point per placed photo, the unplaced one not drawn; north arrow and scale bar.
    const points = screen.getAllByTestId("map-point");
    expect(points.map((p) => p.getAttribute("data-name"))).toEqual(["DJI_0010.JPG", "DJI_0020.JPG"]);
    expect(screen.getByTestId("map-north")).toHaveTextContent("N");
    expect(screen.getByTestId("map-scale")).toHaveTextContent(/\d+ (m|km)/);

    locale.set("zh-CN");
    await waitFor(() => expect(screen.getByTestId("finding-several_cameras")).toHaveTextContent("照片来自多台相机（FC6360, FC7303）"));
  });

  it("says when nothing is wrong", async () => {
    mockBackend({ doctor: () => ({ ...report, findings: [], uploadSeconds: null }) });
    render(DoctorFindings, { path: "/s", kind: "map2d", entry: entry() });
    expect(await screen.findByTestId("doctor-fine")).toHaveTextContent("No problems found in the photos.");
  });

  it("leaves out a photo clicked on the map or a finding's photos, asks again for the rest, and puts them back", async () => {
    const e = entry();
    // The backend marks what it was asked to leave out, and drops findings about those files.
    const calls = mockBackend({
      doctor: (args) => {
        const out = (args!.options as { leftOut: string[] }).leftOut;
        return {
          ...report,
          photos: report.photos.map((p) => ({ ...p, leftOut: out.includes(p.name) })),
          findings: report.findings.filter((f) => !f.files.every((n) => out.includes(n))),
        };
      },
    });
    render(DoctorFindings, { path: "/surveys/field-7", kind: "map2d", entry: e });
    await screen.findAllByTestId("map-point");
    expect(screen.getByText(/Click a photo, or draw around several/)).toBeInTheDocument();

    await fireEvent.pointerDown(screen.getAllByTestId("map-point")[0], { button: 0 });
    await fireEvent.pointerUp(screen.getAllByTestId("map-point")[0], { button: 0 });
    expect(e.leftOut).toEqual({ "DJI_0010.JPG": 900_000 });
    expect(uploadSize(e)).toEqual({ files: 3, bytes: 2_700_000 });
    await waitFor(() => expect(calls.at(-1)!.args!.options).toEqual({ leaveOutOthers: false, leftOut: ["DJI_0010.JPG"] }));
    await waitFor(() => expect(screen.getAllByTestId("map-point")[0]).toHaveAttribute("data-left-out", "true"));
    expect(screen.getByTestId("left-out-summary")).toHaveTextContent("1 photo(s) left out of the job (900 KB)");

    // "Leave it out" on the photo without GPS: the finding goes once the doctor has the rest.
    await fireEvent.click(screen.getByTestId("finding-leave-no_gps"));
    expect(Object.keys(e.leftOut).sort()).toEqual(["DJI_0010.JPG", "DJI_9999.JPG"]);
    await waitFor(() => expect(screen.queryByTestId("finding-no_gps")).toBeNull());
    // A LiDAR scan's finding offers no button: its files are not photos to drop.
    expect(screen.queryByTestId("finding-leave-lidar_incomplete")).toBeNull();

    // Clicking a left-out point puts it back; "Put them all back" clears the rest.
    await fireEvent.pointerDown(screen.getAllByTestId("map-point")[0], { button: 0 });
    await fireEvent.pointerUp(screen.getAllByTestId("map-point")[0], { button: 0 });
    expect(Object.keys(e.leftOut)).toEqual(["DJI_9999.JPG"]);
    await fireEvent.click(screen.getByTestId("left-out-put-back"));
    expect(e.leftOut).toEqual({});
    await waitFor(() => expect(calls.at(-1)!.args!.options).toEqual({ leaveOutOthers: false, leftOut: [] }));
    await waitFor(() => expect(screen.getByTestId("finding-no_gps")).toBeInTheDocument());
  });
});
