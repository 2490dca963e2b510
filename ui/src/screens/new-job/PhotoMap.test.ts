import { render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import type { PhotoMeta } from "../../lib/api";
import { resetMapTiles, tileCorner, tileOf } from "../../lib/map-tiles";
import { mockBackend, resetBackend } from "../../test/ipc";
import PhotoMap from "./PhotoMap.svelte";

afterEach(() => {
  resetBackend();
  resetMapTiles();
});

const photo = (name: string, lat: number, lon: number, relAlt: number): PhotoMeta => ({
  name, size: 1, lat, lon, absAlt: null, relAlt, gimbalPitch: -90, gimbalYaw: 0, make: "DJI", model: "FC6360", serial: null,
  width: 1600, height: 1300, taken: null, rtkFlag: null, rtkStd: null, flight: 1, unreadable: null,
});
const photos = [photo("a.JPG", 45.03, 7.62, 40), photo("b.JPG", 45.031, 7.621, 60), photo("c.JPG", 45.0305, 7.6225, 80)];
const settings = (on: boolean) => ({ region: "sandbox", language: "en", mapTiles: on, mapTileUrl: "https://tile.openstreetmap.org/{z}/{x}/{y}.png" });

describe("New job → the photo map's background", () => {
  it("fetches no tile while the background map is off", async () => {
    const calls = mockBackend({ get_settings: () => settings(false) });
    render(PhotoMap, { photos });
    await screen.findAllByTestId("map-point");
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.filter((c) => c.cmd === "map_tile")).toEqual([]);
    expect(screen.queryByTestId("map-tile")).toBeNull();
  });

  it("draws the tiles under the points when it is on, and credits OpenStreetMap", async () => {
    const calls = mockBackend({ get_settings: () => settings(true), map_tile: () => "data:image/png;base64,iVBORw0KGgo=" });
    render(PhotoMap, { photos });
    await waitFor(() => expect(screen.getAllByTestId("map-tile").length).toBeGreaterThan(0));
    const asked = calls.filter((c) => c.cmd === "map_tile").map((c) => c.args as { z: number; x: number; y: number });
    // Tiles about 256 px across for a survey of about 200 m: zoom 17–19, each asked once, at most 30.
    expect(asked.length).toBeLessThanOrEqual(30);
    expect(new Set(asked.map((a) => `${a.z}/${a.x}/${a.y}`)).size).toBe(asked.length);
    expect(asked.every((a) => a.z >= 16 && a.z <= 19)).toBe(true);
    // The survey's place is on one of them.
    const z = asked[0].z;
    const t = tileOf(45.0305, 7.621, z);
    expect(asked.some((a) => a.x === t.x && a.y === t.y)).toBe(true);
    expect(screen.getByTestId("map-credit")).toHaveTextContent("© OpenStreetMap contributors");
  });

  it("says when the tiles cannot be had (offline), and still draws the photos", async () => {
    mockBackend({
      get_settings: () => settings(true),
      map_tile: () => {
        throw { code: "net.unreachable", params: { host: "tile.openstreetmap.org" }, message: "offline" };
      },
    });
    render(PhotoMap, { photos });
    expect(await screen.findByTestId("map-tile-error")).toHaveTextContent("The background map could not be loaded");
    expect(screen.getAllByTestId("map-point")).toHaveLength(3);
    expect(screen.queryByTestId("map-tile")).toBeNull();
  });

  it("numbers tiles as OSM-style servers cut them", () => {
    expect(tileOf(0, 0, 1)).toEqual({ x: 1, y: 1 });
    expect(tileOf(51.5, -0.12, 10)).toEqual({ x: 511, y: 340 });
    const c = tileCorner(511, 340, 10);
    expect(c.lon).toBeCloseTo(-0.3516, 3);
    expect(c.lat).toBeCloseTo(51.6180, 3);
  });
});
