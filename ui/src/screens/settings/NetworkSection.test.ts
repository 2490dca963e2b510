import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import App from "../../App.svelte";
import type { ProxyView } from "../../lib/api";
import { account, appError, mockBackend, proxyView, resetBackend } from "../../test/ipc";

afterEach(() => resetBackend());

function backend(extra = {}) {
  return mockBackend({
    get_account: () => account({ region: "sandbox" }),
    get_settings: () => ({ region: "sandbox", language: "en", speedLimit: 0 }),
    list_jobs: () => [],
    get_proxy: () => proxyView(),
    ...extra,
  });
}

describe("Settings → Network", () => {
  it("sets a speed limit, shows the saved one, and lifts it", async () => {
    let limit = 2_500_000;
    const calls = backend({
      get_settings: () => ({ region: "sandbox", language: "auto", speedLimit: limit }),
      set_speed_limit: (a?: Record<string, unknown>) => {
        limit = Number(a?.bytesPerSecond);
        return { region: "sandbox", language: "auto", speedLimit: limit };
      },
    });
    render(App, { initialScreen: "settings" });
    const input = await screen.findByTestId("speed-limit");
    // 2.5 MB/s saved: shown as 20 Mbit/s.
    await waitFor(() => expect(input).toHaveValue("20"));
    await fireEvent.input(input, { target: { value: "4" } });
    await fireEvent.change(input);
    await waitFor(() => expect(calls.find((c) => c.cmd === "set_speed_limit")?.args).toEqual({ bytesPerSecond: 500_000 }));
    expect(screen.getByTestId("network-status")).toHaveTextContent("Uploads and downloads now go at most 4 Mbit/s.");
    await fireEvent.change(screen.getByTestId("speed-limit-unit"), { target: { value: "mbyte" } });
    await waitFor(() => expect(limit).toBe(4_000_000));
    await fireEvent.input(input, { target: { value: "fast" } });
    await fireEvent.change(input);
    expect(screen.getByTestId("network-status")).toHaveTextContent("Write the limit as a number");
    expect(limit).toBe(4_000_000);
    await fireEvent.input(input, { target: { value: "" } });
    await fireEvent.change(input);
    await waitFor(() => expect(limit).toBe(0));
    expect(screen.getByTestId("network-status")).toHaveTextContent("full speed");
  });

  it("leaves half the link to others, says what was measured, and keeps full-speed hours", async () => {
    let saved = { region: "sandbox", language: "en", speedLimit: 0, linkShare: 0, fullSpeedFrom: "", fullSpeedTo: "", linkMeasured: 0 };
    const calls = backend({
      get_settings: () => saved,
      set_link_limits: (a?: Record<string, unknown>) => {
        saved = { ...saved, linkShare: Number(a?.share), fullSpeedFrom: String(a?.fullSpeedFrom), fullSpeedTo: String(a?.fullSpeedTo), linkMeasured: 2_500_000 };
        return saved;
      },
    });
    render(App, { initialScreen: "settings" });
    const mode = await screen.findByTestId("limit-mode");
    await waitFor(() => expect(mode).toBeEnabled());
    await fireEvent.change(mode, { target: { value: "half" } });
    await waitFor(() => expect(calls.find((c) => c.cmd === "set_link_limits")?.args).toEqual({ share: 50, fullSpeedFrom: "", fullSpeedTo: "" }));
    expect(screen.getByTestId("network-status")).toHaveTextContent("Uploads and downloads now leave half the link to others.");
    expect(screen.getByTestId("link-measured")).toHaveTextContent("Measured link: 20.0 Mbit/s");
    expect(screen.queryByTestId("speed-limit")).toBeNull();

    expect(screen.getByTestId("full-speed-from")).toBeDisabled();
    await fireEvent.click(screen.getByTestId("full-speed-hours"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "set_link_limits").at(-1)?.args).toEqual({ share: 50, fullSpeedFrom: "19:00", fullSpeedTo: "07:00" }));
    expect(screen.getByTestId("network-status")).toHaveTextContent("No limit from 19:00 to 07:00.");
    await fireEvent.input(screen.getByTestId("full-speed-to"), { target: { value: "06:30" } });
    await fireEvent.change(screen.getByTestId("full-speed-to"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "set_link_limits").at(-1)?.args).toEqual({ share: 50, fullSpeedFrom: "19:00", fullSpeedTo: "06:30" }));

    // Back to a rate: the share is off, the hours stay.
    await fireEvent.change(mode, { target: { value: "rate" } });
    await waitFor(() => expect(calls.filter((c) => c.cmd === "set_link_limits").at(-1)?.args).toEqual({ share: 0, fullSpeedFrom: "19:00", fullSpeedTo: "06:30" }));
    expect(screen.getByTestId("speed-limit")).toBeInTheDocument();
  });

  it("shows the system's proxy, saves a manual one with its password, and never shows the password back", async () => {
    let saved: ProxyView = proxyView({ systemProxy: "http://office-proxy:8080" });
    const calls = backend({
      get_proxy: () => saved,
      save_proxy: (a?: Record<string, unknown>) => {
        const p = a?.proxy as ProxyView;
        const url = p.url.includes("://") ? p.url : `http://${p.url}`;
        saved = { ...saved, ...p, url, passwordStored: a?.password === null ? saved.passwordStored : a?.password !== "" };
        return saved;
      },
    });
    render(App, { initialScreen: "settings" });
    await waitFor(() => expect(screen.getByTestId("proxy-system-now")).toHaveTextContent("Now: http://office-proxy:8080"));
    await fireEvent.click(screen.getByTestId("proxy-mode-manual"));
    await fireEvent.input(screen.getByTestId("proxy-url"), { target: { value: "proxy.corp:3128" } });
    expect(screen.getByTestId("proxy-password")).toBeDisabled();
    await fireEvent.input(screen.getByTestId("proxy-username"), { target: { value: "surveyor" } });
    await fireEvent.input(screen.getByTestId("proxy-password"), { target: { value: "pw-0451" } });
    await fireEvent.click(screen.getByTestId("proxy-save"));
    await waitFor(() => expect(screen.getByTestId("network-status")).toHaveTextContent("Saved: TerraDesk connects through http://proxy.corp:3128."));
    expect(calls.find((c) => c.cmd === "save_proxy")?.args).toEqual({
      proxy: { mode: "manual", url: "proxy.corp:3128", username: "surveyor", noProxy: "" },
      password: "pw-0451",
    });
    // The field is emptied; it says a password is stored.
    expect(screen.getByTestId("proxy-password")).toHaveValue("");
    expect(screen.getByTestId("proxy-password")).toHaveAttribute("placeholder", "Stored in the keychain");
    // Saving again with the field empty keeps it; "Forget" removes it.
    await fireEvent.click(screen.getByTestId("proxy-save"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "save_proxy").length).toBe(2));
    expect(calls.filter((c) => c.cmd === "save_proxy")[1].args?.password).toBeNull();
    await fireEvent.click(screen.getByTestId("proxy-forget-password"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "save_proxy")[2]?.args?.password).toBe(""));
    await waitFor(() => expect(screen.queryByTestId("proxy-forget-password")).toBeNull());
  });

  it("says what is wrong with a proxy address", async () => {
    backend({
      save_proxy: () => {
        throw appError("net.bad_proxy", "(English)", null, { value: "socks5://h:1080", reason: "socks5 proxies are not supported (http and https are)" });
      },
    });
    render(App, { initialScreen: "settings" });
    await waitFor(() => expect(screen.getByTestId("proxy-mode-manual")).toBeEnabled());
    await fireEvent.click(screen.getByTestId("proxy-mode-manual"));
    await fireEvent.input(screen.getByTestId("proxy-url"), { target: { value: "socks5://h:1080" } });
    await fireEvent.click(screen.getByTestId("proxy-save"));
    expect(await screen.findByTestId("network-error")).toHaveTextContent("The proxy “socks5://h:1080” cannot be used: socks5 proxies are not supported");
  });
});
