import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import App from "./App.svelte";
import { setLocale } from "./lib/i18n";
import { account, emitDesk, mockBackend, resetBackend } from "./test/ipc";
import { summary } from "./test/fixtures";
import { emit } from "@tauri-apps/api/event";
import { draft } from "./lib/new-job.svelte";

beforeEach(() => setLocale("en"));
afterEach(() => {
  resetBackend();
  draft.reset();
});

describe("App shell", () => {
  it("shows the app name, and Jobs is the start screen", async () => {
    mockBackend({ list_jobs: () => [], get_settings: () => ({ region: "us", language: "auto" }) });
    render(App);
    expect(screen.getByText("TerraDesk")).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 1, name: "Jobs" })).toBeInTheDocument();
    expect(screen.getByTestId("nav-jobs")).toHaveAttribute("aria-current", "page");
    expect(await screen.findByTestId("jobs-empty")).toHaveTextContent("No jobs yet");
  });

  it("without a backend (plain browser) Jobs says so instead of staying blank", async () => {
    render(App);
    expect(await screen.findByTestId("jobs-error")).toHaveTextContent("The TerraDesk backend is not available.");
    expect(screen.getByTestId("jobs-empty")).toBeInTheDocument();
  });

  it("navigation switches screens and moves aria-current", async () => {
    const calls = mockBackend({ get_account: () => account({ region: "us" }), list_jobs: () => [] });
    render(App);

    await fireEvent.click(screen.getByTestId("nav-new-job"));
    expect(screen.getByRole("heading", { level: 1, name: "New job" })).toBeInTheDocument();
    expect(screen.getByTestId("new-job-drop")).toHaveTextContent("Drag one or more survey folders here");
    expect(screen.getByTestId("nav-new-job")).toHaveAttribute("aria-current", "page");
    expect(screen.getByTestId("nav-jobs")).not.toHaveAttribute("aria-current");

    await fireEvent.click(screen.getByTestId("nav-settings"));
    expect(screen.getByRole("heading", { level: 1, name: "Settings" })).toBeInTheDocument();
    expect(await screen.findByTestId("access-key")).toBeInTheDocument();
    expect(calls.map((c) => c.cmd)).toContain("get_account");
    expect(screen.queryByTestId("new-job-drop")).toBeNull();

    await fireEvent.click(screen.getByTestId("nav-jobs"));
    expect(screen.getByRole("heading", { level: 1, name: "Jobs" })).toBeInTheDocument();
  });

  it("nav items are real buttons", () => {
    render(App);
    for (const id of ["nav-jobs", "nav-new-job", "nav-settings"]) {
      expect(screen.getByTestId(id).tagName).toBe("BUTTON");
    }
  });

  it("the Jobs empty state leads to the account settings", async () => {
    mockBackend({ get_account: () => account(), list_jobs: () => [] });
    render(App);
    await fireEvent.click(await screen.findByRole("button", { name: /Set up your account/ }));
    await waitFor(() => expect(screen.getByTestId("nav-settings")).toHaveAttribute("aria-current", "page"));
  });

  it("opens New job with the folders the app was started with, and those a later launch hands over", async () => {
    const calls = mockBackend({
      list_jobs: () => [],
      launch_folders: () => ["/surveys/field-7"],
      scan_folder: (a) => summary({ root: String(a!.path), name: String(a!.path).split("/").pop() }),
      doctor: () => {
        throw { code: "internal", params: {}, message: "not here" };
      },
    });
    render(App);
    await waitFor(() => expect(screen.getByTestId("nav-new-job")).toHaveAttribute("aria-current", "page"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "scan_folder").map((c) => c.args!.path)).toEqual(["/surveys/field-7"]));
    // A second double-click on the icon, with another folder: the running app takes it.
    await fireEvent.click(screen.getByTestId("nav-jobs"));
    await emit("open-folders", ["/surveys/field-8"]);
    await waitFor(() => expect(screen.getByTestId("nav-new-job")).toHaveAttribute("aria-current", "page"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "scan_folder").map((c) => c.args!.path)).toEqual(["/surveys/field-7", "/surveys/field-8"]));
  });

  it("says while the computer is kept awake for a transfer, and when it could not be", async () => {
    mockBackend({ list_jobs: () => [], awake_state: () => ({ state: "idle" }) });
    render(App);
    await screen.findByTestId("jobs-empty");
    expect(screen.queryByTestId("awake")).toBeNull();
    await emitDesk({ kind: "awake", data: { state: "held", how: ["logind", "screensaver"] } });
    await waitFor(() => expect(screen.getByTestId("awake")).toHaveTextContent("Keeping the computer awake while files transfer."));
    await emitDesk({ kind: "awake", data: { state: "failed", why: "no logind" } });
    await waitFor(() => expect(screen.getByTestId("awake")).toHaveTextContent("The computer may go to sleep during the transfer"));
    await emitDesk({ kind: "awake", data: { state: "idle" } });
    await waitFor(() => expect(screen.queryByTestId("awake")).toBeNull());
  });
});
