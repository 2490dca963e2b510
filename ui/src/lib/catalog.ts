// The fixed choices the core publishes (regions and their hosts, languages, kinds, presets),
// loaded once before the window is drawn, so no screen waits for them or shifts when they come.

import { get, writable } from "svelte/store";
import { api, type Catalog, type Region } from "./api";
import type { MessageKey } from "./i18n";

const EMPTY: Catalog = { regions: [], languages: [], kinds: ["map2d", "model3d", "lidar"], presets: [], version: "" };

export const catalog = writable<Catalog>(EMPTY);

/** Ask the core once; without a backend the catalog stays empty. */
export async function loadCatalog(): Promise<void> {
  const r = await api.catalog();
  if (r.status === "ok") catalog.set(r.data);
}

/** For tests. */
export function setCatalog(c: Catalog): void {
  catalog.set(c);
}

export function regionName(id: Region): MessageKey {
  return `region.${id}` as MessageKey;
}

/** "https://openapi-us.dji.com" → "openapi-us.dji.com" */
export function endpointHost(endpoint: string): string {
  return endpoint.replace(/^https?:\/\//, "").replace(/\/$/, "");
}

export function currentCatalog(): Catalog {
  return get(catalog);
}
