import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/svelte";
import { afterEach, beforeEach } from "vitest";
import { applyLanguagePreference } from "../lib/i18n";
import { resetJobs } from "../lib/jobs-store";
import { draft } from "../lib/new-job.svelte";
import { setCatalog } from "../lib/catalog";
import { toasts } from "../lib/notifications";
import { route } from "../lib/router";
import { CATALOG } from "./fixtures";

// App-wide state lives in modules: every test starts from scratch, in English.
beforeEach(() => {
  draft.reset();
  resetJobs();
  setCatalog(CATALOG);
  toasts.set([]);
  route.set({ screen: "jobs" });
  applyLanguagePreference("en");
});

afterEach(() => {
  cleanup();
});
