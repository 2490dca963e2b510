// Where the window is: one of the sidebar's screens, or one job's page.

import { writable } from "svelte/store";
import type { Screen } from "./screens";

export type Route =
  | { screen: "jobs" }
  | { screen: "new-job" }
  | { screen: "settings" }
  | { screen: "job"; id: number };

export const route = writable<Route>({ screen: "jobs" });

export function navigate(next: Route | Screen): void {
  route.set(typeof next === "string" ? ({ screen: next } as Route) : next);
}

export function openJob(id: number): void {
  route.set({ screen: "job", id });
}

/** The sidebar entry a route belongs to (a job's page is under Jobs). */
export function sidebarScreen(r: Route): Screen {
  return r.screen === "job" ? "jobs" : r.screen;
}

/** "#jobs", "#new-job", "#settings", "#job/12" → a route (Jobs when unknown). */
export function parseHash(hash: string): Route {
  const h = hash.replace(/^#\/?/, "");
  const job = /^job\/(\d+)$/.exec(h);
  if (job) return { screen: "job", id: Number(job[1]) };
  if (h === "new-job" || h === "settings" || h === "jobs") return { screen: h };
  return { screen: "jobs" };
}
