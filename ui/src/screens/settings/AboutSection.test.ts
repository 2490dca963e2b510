import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it } from "vitest";
import { updateOffer } from "../../lib/updates";
import { mockBackend, resetBackend } from "../../test/ipc";
import AboutSection from "./AboutSection.svelte";

afterEach(() => {
  resetBackend();
  updateOffer.set(null);
});

const about = { version: "0.1.0", commit: "abc1234", dataDir: "/home/me/.local/share/terradesk", logDir: "/tmp/logs", platform: "linux x86_64" };

describe("Settings → About", () => {
  it("shows the version, the commit and the data folder", async () => {
    mockBackend({ about: () => about, get_settings: () => ({ updateFeed: "" }) });
    render(AboutSection);
    await waitFor(() => expect(screen.getByTestId("about-version")).toHaveTextContent("0.1.0 (abc1234) · linux x86_64"));
    expect(screen.getByTestId("about-data")).toHaveTextContent("/home/me/.local/share/terradesk");
  });

  it("checks the feed the user set, offers the update with what's new, and says a refused package's reason", async () => {
    const calls = mockBackend({
      about: () => about,
      get_settings: () => ({ updateFeed: "" }),
      set_update_feed: (a) => ({ updateFeed: a!.url }),
      check_update: () => ({ version: "0.2.0", current: "0.1.0", notes: "Leave photos out from the map.", date: null }),
      install_update: () => {
        throw { code: "update.bad_signature", params: { version: "0.2.0" }, message: "(English)" };
      },
    });
    render(AboutSection);
    await fireEvent.input(screen.getByTestId("update-feed"), { target: { value: "https://updates.example/latest.json" } });
    await fireEvent.click(screen.getByTestId("update-check"));
    expect(await screen.findByTestId("update-offer")).toHaveTextContent("Update available: TerraDesk 0.2.0 (you have 0.1.0)");
    expect(screen.getByTestId("update-notes")).toHaveTextContent("Leave photos out from the map.");
    expect(calls.find((c) => c.cmd === "set_update_feed")!.args).toEqual({ url: "https://updates.example/latest.json" });
    await fireEvent.click(screen.getByTestId("update-install"));
    expect(await screen.findByTestId("about-error")).toHaveTextContent("is not signed with TerraDesk's key, so it was not installed");
    expect(screen.queryByTestId("update-offer")).toBeNull();
  });

  it("says when this version is the newest", async () => {
    mockBackend({ about: () => about, get_settings: () => ({ updateFeed: "" }), set_update_feed: () => ({}), check_update: () => null });
    render(AboutSection);
    await waitFor(() => expect(screen.getByTestId("about-version")).toHaveTextContent("0.1.0"));
    await fireEvent.click(screen.getByTestId("update-check"));
    await waitFor(() => expect(screen.getByTestId("about-status")).toHaveTextContent("TerraDesk 0.1.0 is the newest version."));
  });

  it("lists the bundled packages' licences, generated from the build's metadata", async () => {
    mockBackend({ about: () => about, get_settings: () => ({ updateFeed: "" }) });
    render(AboutSection);
    const details = screen.getByTestId("licences") as HTMLDetailsElement;
    details.open = true;
    await fireEvent(details, new Event("toggle"));
    const count = await screen.findByTestId("licences-count");
    expect(Number(count.textContent!.match(/[\d,]+/)![0].replace(/,/g, ""))).toBeGreaterThan(100);
    expect(screen.getByText(/^tauri 2\./)).toBeInTheDocument();
    expect(screen.getByText(/^svelte \d/)).toBeInTheDocument();
  });
});
