import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { get } from "svelte/store";
import { afterEach, describe, expect, it, vi } from "vitest";
import App from "../../App.svelte";
import { languagePreference, locale } from "../../lib/i18n";
import { account, appError, mockBackend, proxyView, resetBackend } from "../../test/ipc";

afterEach(() => resetBackend());

function backend(language = "auto", extra = {}) {
  let saved = language;
  const calls = mockBackend({
    get_account: () => account({ region: "sandbox" }),
    get_settings: () => ({ region: "sandbox", language: saved }),
    set_language: (a) => {
      saved = String(a?.language);
      return { region: "sandbox", language: saved };
    },
    list_jobs: () => [],
    open_log_folder: () => "/home/me/.local/share/com.terradesk.app/logs",
    get_proxy: () => proxyView(),
    ...extra,
  });
  return calls;
}

describe("Settings → General", () => {
  it("switches the language at once and saves the choice", async () => {
    const calls = backend();
    render(App, { initialScreen: "settings" });
    const select = await screen.findByTestId("language-select");
    await waitFor(() => expect(select).toHaveValue("auto"));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Settings");

    await fireEvent.change(select, { target: { value: "zh-CN" } });
    expect(get(locale)).toBe("zh-CN");
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("设置");
    expect(screen.getByTestId("nav-jobs")).toHaveTextContent("任务");
    expect(document.documentElement.lang).toBe("zh-CN");
    await waitFor(() => expect(calls.find((c) => c.cmd === "set_language")?.args).toEqual({ language: "zh-CN" }));

    await fireEvent.change(select, { target: { value: "en" } });
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Settings");
  });

  it("Follow system uses the system's language", async () => {
    vi.spyOn(navigator, "language", "get").mockReturnValue("zh-CN");
    backend("en");
    render(App, { initialScreen: "settings" });
    const select = await screen.findByTestId("language-select");
    await waitFor(() => expect(select).toHaveValue("en"));
    expect(get(locale)).toBe("en");
    await fireEvent.change(select, { target: { value: "auto" } });
    expect(get(languagePreference)).toBe("auto");
    expect(get(locale)).toBe("zh-CN");
  });

  it("the saved language applies at start", async () => {
    backend("zh-CN");
    render(App);
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("任务"));
  });

  it("opens the log folder, and tells about the tray", async () => {
    const calls = backend();
    render(App, { initialScreen: "settings" });
    expect(screen.getByTestId("tray-note")).toHaveTextContent(
      "While a job runs, closing the window keeps TerraDesk in the system tray so uploads continue",
    );
    await fireEvent.click(screen.getByTestId("open-log-folder"));
    await waitFor(() => expect(screen.getByTestId("general-status")).toHaveTextContent("Opened /home/me/.local/share/com.terradesk.app/logs"));
    expect(calls.some((c) => c.cmd === "open_log_folder")).toBe(true);
  });

  it("says when saving the language fails", async () => {
    backend("auto", {
      set_language: () => {
        throw appError("disk.full", "(English)", null, { path: "settings.json" });
      },
    });
    render(App, { initialScreen: "settings" });
    await fireEvent.change(await screen.findByTestId("language-select"), { target: { value: "en" } });
    expect(await screen.findByTestId("general-error")).toHaveTextContent("The disk holding settings.json is full.");
  });
});
