// Whether New job's photo map draws a background map, and from which tile URL: read from the
// settings once, updated when Settings → General changes it.

import { writable } from "svelte/store";
import { api } from "./api";

export type MapTiles = { on: boolean; url: string };

export const mapTiles = writable<MapTiles | null>(null);

let asked = false;

/** Reads the settings the first time a map asks. */
export function ensureMapTiles(): void {
  if (asked) return;
  asked = true;
  void api.getSettings().then((r) => {
    if (r.status === "ok") mapTiles.set({ on: r.data.mapTiles, url: r.data.mapTileUrl });
  });
}

/** For tests: forget what was read. */
export function resetMapTiles(): void {
  asked = false;
  mapTiles.set(null);
}

/** Who to credit under the map: OpenStreetMap's contributors for its tiles, else the server. */
export function attribution(url: string): string {
  if (/openstreetmap\.org/i.test(url)) return "© OpenStreetMap contributors";
  try {
    return new URL(url.replace(/\{[zxy]\}/g, "0")).host;
  } catch {
    return "";
  }
}

/** Tile numbers (Web Mercator, as OSM-style servers cut them) of a place at zoom `z`. */
export function tileOf(lat: number, lon: number, z: number): { x: number; y: number } {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return { x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.asinh(Math.tan(r)) / Math.PI) / 2) * n) };
}

/** The north-west corner of tile `x`, `y` at zoom `z`, in degrees. */
export function tileCorner(x: number, y: number, z: number): { lat: number; lon: number } {
  const n = 2 ** z;
  return { lon: (x / n) * 360 - 180, lat: (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI };
}
