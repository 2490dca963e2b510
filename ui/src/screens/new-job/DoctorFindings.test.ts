import { render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import type { DoctorReport } from "../../lib/api";
import { locale } from "../../lib/i18n";
import { mockBackend, resetBackend } from "../../test/ipc";
import DoctorFindings from "./DoctorFindings.svelte";

afterEach(() => {
  resetBackend();
  locale.set("en");
});

const photo = (name: string, lat: number | null) => ({
  name, size: 900_000, lat, lon: lat === null ? null : 7.62, absAlt: 349.5, relAlt: 44.5, gimbalPitch: -90, gimbalYaw: 107,
  make: "DJI", model: "FC6360", serial: null, width: 1600, height: 1300, taken: "2026:01:26 13:50:17", rtkFlag: 50, rtkStd: 0.014, flight: 1, unreadable: null,
});

const report: DoctorReport = {
  photos: [photo("DJI_0010.JPG", 45.03), photo("DJI_0020.JPG", 45.031), photo("DJI_9999.JPG", null)],
  findings: [
    { code: "lidar_incomplete", severity: "error", count: 1, files: ["SCAN_0001.LDR"], params: { SCAN_0001: ".RTK" }, message: "(English)" },
    { code: "no_gps", severity: "warning", count: 1, files: ["DJI_9999.JPG"], params: { all: "false" }, message: "(English)" },
    { code: "several_cameras", severity: "warning", count: 1, files: ["DJI_0050.JPG"], params: { cameras: "FC6360, FC7303" }, message: "(English)" },
  ],
  flights: 1,
  cameras: ["FC6360", "FC7303"],
  megapixels: 6.24,
  suggestedKind: "map2d",
  uploadSeconds: 125,
};

describe("New job → the doctor's findings", () => {
  it("says each finding in the user's language with its files, and the survey in a line", async () => {
    const calls = mockBackend({ doctor: () => report });
    render(DoctorFindings, { path: "/surveys/field-7", kind: "map2d" });
    expect(await screen.findByTestId("doctor-summary")).toHaveTextContent("2 of 3 photos placed · FC6360, FC7303 · 1 flight(s) · 6 megapixels");
    expect(screen.getByTestId("doctor-summary")).toHaveTextContent("Upload about 2 min");
    expect(screen.getByTestId("finding-lidar_incomplete")).toHaveAttribute("data-severity", "error");
    expect(screen.getByTestId("finding-no_gps")).toHaveTextContent("Check: 1 photo(s) have no GPS position");
    expect(screen.getByTestId("finding-several_cameras")).toHaveTextContent("several cameras (FC6360, FC7303)");
    expect(screen.getByTestId("finding-files-no_gps")).toHaveTextContent("DJI_9999.JPG");
    expect(calls[0]).toEqual({ cmd: "doctor", args: { path: "/surveys/field-7", kind: "map2d" } });
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
    render(DoctorFindings, { path: "/s", kind: "map2d" });
    expect(await screen.findByTestId("doctor-fine")).toHaveTextContent("No problems found in the photos.");
  });
});
