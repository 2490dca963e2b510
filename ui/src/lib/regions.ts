import type { Region } from "./bindings";
import type { MessageKey } from "./i18n";

export type RegionInfo = {
  id: Region;
  name: MessageKey;
  /** API endpoint (shown without the scheme under the name); sandbox has none. */
  endpoint: string | null;
  detail: MessageKey | null;
};

export const REGIONS: readonly RegionInfo[] = [
  { id: "us", name: "region.us", endpoint: "https://openapi-us.dji.com", detail: null },
  { id: "cn", name: "region.cn", endpoint: "https://openapi-cn.dji.com", detail: null },
  { id: "sandbox", name: "region.sandbox", endpoint: null, detail: "region.sandboxDetail" },
];

export function regionName(id: Region): MessageKey {
  return REGIONS.find((r) => r.id === id)?.name ?? "region.us";
}

/** "https://openapi-us.dji.com" → "openapi-us.dji.com" */
export function endpointHost(endpoint: string): string {
  return endpoint.replace(/^https?:\/\//, "").replace(/\/$/, "");
}
