import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setLocale } from "../../lib/i18n";
import { account, appError, mockBackend, resetBackend } from "../../test/ipc";
import { prefetchAccount } from "../../lib/account-cache";
import SettingsScreen from "../SettingsScreen.svelte";

function field(testid: string): HTMLInputElement {
  return screen.getByTestId(testid) as HTMLInputElement;
}

async function type(testid: string, value: string) {
  await fireEvent.input(field(testid), { target: { value } });
}

beforeEach(() => setLocale("en"));
afterEach(() => resetBackend());

describe("Settings → Account", () => {
  it("loads the account and shows the AccessKey and 'SecretKey stored'", async () => {
    const calls = mockBackend({
      get_account: () => account({ region: "cn", accessKey: "AK-CN-123", secretStored: true }),
    });
    render(SettingsScreen);

    await waitFor(() => expect(field("access-key").value).toBe("AK-CN-123"));
    expect(field("region-cn").checked).toBe(true);
    expect(field("region-us").checked).toBe(false);
    expect(screen.getByTestId("secret-stored")).toHaveTextContent("SecretKey stored");
    expect(field("secret-key").value).toBe("");
    expect(field("secret-key").type).toBe("password");
    expect(field("secret-key").placeholder).toBe("Leave empty to keep the stored key");
    // The account is asked for once (Network asks for the settings and the proxy, About for the version).
    expect(calls.map((c) => c.cmd).filter((c) => c === "get_account")).toEqual(["get_account"]);
  });

  it("draws the form at once when the app has the account already: no loading line, no fields arriving late", async () => {
    let answer!: (v: unknown) => void;
    const calls = mockBackend({ get_account: () => account({ region: "cn", accessKey: "AK-CN-123", secretStored: true }) });
    await prefetchAccount();
    // The refresh Settings makes is slow; the form does not wait for it.
    mockBackend({ get_account: () => new Promise((r) => (answer = r)) });
    render(SettingsScreen);
    expect(screen.queryByText("Loading account…")).toBeNull();
    expect(field("access-key").value).toBe("AK-CN-123");
    expect(field("region-cn").checked).toBe(true);
    expect(screen.getByTestId("secret-stored")).toBeInTheDocument();
    // Typing before the refresh answers: the refresh does not undo it.
    await type("access-key", "AK-NEW");
    answer(account({ region: "cn", accessKey: "AK-CN-123", secretStored: true }));
    await new Promise((r) => setTimeout(r, 20));
    expect(field("access-key").value).toBe("AK-NEW");
    expect(calls.map((c) => c.cmd).filter((c) => c !== "get_proxy")).toEqual(["get_account"]);
  });

  it("does not claim a stored secret when there is none", async () => {
    mockBackend({ get_account: () => account({ region: "us" }) });
    render(SettingsScreen);
    await screen.findByTestId("access-key");
    expect(screen.queryByTestId("secret-stored")).toBeNull();
    expect(field("secret-key").placeholder).toBe("Paste your SecretKey");
    expect(screen.getByTestId("delete-account")).toBeDisabled();
  });

  it("saves region, AccessKey and SecretKey, then clears the secret field", async () => {
    const calls = mockBackend({
      get_account: () => account({ region: "us" }),
      // The backend answers with an AccountView: never with the secret.
      save_account: (args) =>
        account({ region: args!.region as "us", accessKey: args!.accessKey as string, secretStored: true }),
    });
    render(SettingsScreen);
    await screen.findByTestId("access-key");

    await type("access-key", "  AK-US-1  ");
    await type("secret-key", "s3cr3t-value");
    await fireEvent.click(screen.getByTestId("save-account"));

    await waitFor(() => expect(screen.getByTestId("account-status")).toHaveTextContent("Keys saved for United States."));
    const save = calls.find((c) => c.cmd === "save_account");
    expect(save?.args).toEqual({ region: "us", accessKey: "AK-US-1", secretKey: "s3cr3t-value" });
    expect(field("secret-key").value).toBe("");
    expect(field("access-key").value).toBe("AK-US-1");
    expect(screen.getByTestId("secret-stored")).toBeInTheDocument();
    expect(document.body.textContent).not.toContain("s3cr3t-value");
    expect(screen.queryByTestId("account-error")).toBeNull();
  });

  it("sends a null SecretKey to keep the stored one", async () => {
    const calls = mockBackend({
      get_account: () => account({ region: "us", accessKey: "AK-OLD", secretStored: true }),
      save_account: (args) => account({ region: "us", accessKey: args!.accessKey as string, secretStored: true }),
    });
    render(SettingsScreen);
    await waitFor(() => expect(field("access-key").value).toBe("AK-OLD"));

    await type("access-key", "AK-NEW");
    await fireEvent.click(screen.getByTestId("save-account"));

    await waitFor(() => expect(calls.some((c) => c.cmd === "save_account")).toBe(true));
    expect(calls.find((c) => c.cmd === "save_account")?.args).toEqual({
      region: "us",
      accessKey: "AK-NEW",
      secretKey: null,
    });
  });

  it("shows a backend error in the alert, with its detail collapsed", async () => {
    mockBackend({
      get_account: () => account({ region: "us" }),
      save_account: () => {
        throw appError("auth.keychain", "(English)", "errSecInteractionNotAllowed", { reason: "it refused to store the key" });
      },
    });
    render(SettingsScreen);
    await screen.findByTestId("access-key");
    await type("access-key", "AK");
    await type("secret-key", "SK");
    await fireEvent.click(screen.getByTestId("save-account"));

    const alert = await screen.findByTestId("account-error");
    expect(alert).toHaveAttribute("role", "alert");
    expect(alert).toHaveTextContent("The system keychain could not be used (it refused to store the key).");
    expect(alert).toHaveAttribute("data-code", "auth.keychain");
    const details = alert.querySelector("details")!;
    expect(details.open).toBe(false);
    expect(within(alert).getByText("Details")).toBeInTheDocument();
    expect(within(alert).getByText("errSecInteractionNotAllowed")).toBeInTheDocument();
    // On failure the typed secret stays so the user can retry.
    expect(field("secret-key").value).toBe("SK");
  });

  it("shows an error without detail and no Details disclosure", async () => {
    mockBackend({
      get_account: () => {
        throw appError("auth.keychain", "(English)", null, { reason: "it is locked" });
      },
    });
    render(SettingsScreen);
    const alert = await screen.findByTestId("account-error");
    expect(alert).toHaveTextContent("The system keychain could not be used (it is locked).");
    expect(alert.querySelector("details")).toBeNull();
  });

  it("asks for an inline confirmation before deleting keys", async () => {
    const calls = mockBackend({
      get_account: () => account({ region: "us", accessKey: "AK-US", secretStored: true }),
      delete_account: (args) => account({ region: args!.region as "us" }),
    });
    render(SettingsScreen);
    await waitFor(() => expect(field("access-key").value).toBe("AK-US"));

    await fireEvent.click(screen.getByTestId("delete-account"));
    expect(calls.some((c) => c.cmd === "delete_account")).toBe(false);
    const confirm = screen.getByTestId("confirm-delete");
    expect(confirm).toHaveFocus();
    expect(screen.getByText(/Delete the keys stored for United States\?/)).toBeInTheDocument();

    await fireEvent.click(confirm);
    await waitFor(() => expect(screen.getByTestId("account-status")).toHaveTextContent("Keys deleted for United States."));
    expect(calls.find((c) => c.cmd === "delete_account")?.args).toEqual({ region: "us" });
    expect(field("access-key").value).toBe("");
    expect(screen.queryByTestId("secret-stored")).toBeNull();
    expect(screen.queryByTestId("confirm-delete")).toBeNull();
  });

  it("cancelling the confirmation deletes nothing", async () => {
    const calls = mockBackend({
      get_account: () => account({ region: "us", accessKey: "AK-US", secretStored: true }),
      delete_account: () => account(),
    });
    render(SettingsScreen);
    await waitFor(() => expect(field("access-key").value).toBe("AK-US"));
    await fireEvent.click(screen.getByTestId("delete-account"));
    await fireEvent.click(screen.getByTestId("cancel-delete"));
    expect(screen.queryByTestId("confirm-delete")).toBeNull();
    expect(screen.getByTestId("delete-account")).toHaveFocus();

    await fireEvent.click(screen.getByTestId("delete-account"));
    await fireEvent.keyDown(screen.getByTestId("confirm-delete"), { key: "Escape" });
    expect(screen.queryByTestId("confirm-delete")).toBeNull();
    expect(calls.some((c) => c.cmd === "delete_account")).toBe(false);
  });

  it("switching region selects it in the backend and shows that region's keys", async () => {
    const calls = mockBackend({
      get_account: () => account({ region: "us", accessKey: "AK-US", secretStored: true }),
      select_region: (args) =>
        args!.region === "cn"
          ? account({ region: "cn", accessKey: "AK-CN", secretStored: false })
          : account({ region: args!.region as "sandbox" }),
    });
    render(SettingsScreen);
    await waitFor(() => expect(field("access-key").value).toBe("AK-US"));

    await fireEvent.click(field("region-cn"));
    await waitFor(() => expect(field("access-key").value).toBe("AK-CN"));
    expect(calls.find((c) => c.cmd === "select_region")?.args).toEqual({ region: "cn" });
    expect(field("region-cn").checked).toBe(true);
    expect(screen.queryByTestId("secret-stored")).toBeNull();
  });

  it("sandbox needs no keys: Save with empty fields only selects the region (the core decides)", async () => {
    const calls = mockBackend({
      get_account: () => account({ region: "us" }),
      select_region: () => account({ region: "sandbox" }),
      save_account: () => account({ region: "sandbox" }),
    });
    render(SettingsScreen);
    await screen.findByTestId("access-key");
    expect(screen.queryByTestId("sandbox-note")).toBeNull();

    await fireEvent.click(field("region-sandbox"));
    expect(await screen.findByTestId("sandbox-note")).toHaveTextContent(
      "The sandbox works without keys; a demo key pair is used when none is saved",
    );
    await fireEvent.click(screen.getByTestId("save-account"));
    await waitFor(() => expect(screen.getByTestId("account-status")).toHaveTextContent("Sandbox selected."));
    expect(calls.find((c) => c.cmd === "save_account")?.args).toEqual({ region: "sandbox", accessKey: "", secretKey: null });
  });

  it("missing keys for a real region: the core's error, and the cursor where the problem is", async () => {
    mockBackend({
      get_account: () => account({ region: "us" }),
      save_account: (a) => {
        if (!a?.accessKey) throw appError("auth.key_empty", "(English)", null, { field: "AccessKey" });
        throw appError("auth.secret_missing", "(English)");
      },
    });
    render(SettingsScreen);
    await screen.findByTestId("access-key");

    await fireEvent.click(screen.getByTestId("save-account"));
    expect(await screen.findByTestId("account-error")).toHaveTextContent("The AccessKey is empty. Paste it from the DJI TerraAPI console.");
    expect(field("access-key")).toHaveFocus();

    await type("access-key", "AK");
    await fireEvent.click(screen.getByTestId("save-account"));
    await waitFor(() => expect(screen.getByTestId("account-error")).toHaveTextContent("Enter the SecretKey too: none is stored for this region yet."));
    expect(field("secret-key")).toHaveFocus();
  });

  it("Test connection tests the keys in the form, saved or not, and says which", async () => {
    const calls = mockBackend({
      get_account: () => account({ region: "us", accessKey: "AK", secretStored: true }),
      test_connection: () => ({
        region: "us",
        host: "openapi-us.dji.com",
        message: "Keys accepted.",
        tokenExpiresInSeconds: 3600,
      }),
    });
    render(SettingsScreen);
    await screen.findByTestId("access-key");
    await fireEvent.click(screen.getByTestId("test-connection"));
    const status = screen.getByTestId("account-status");
    await waitFor(() => expect(status).toHaveTextContent("Connection OK with the saved keys: United States issued a storage token."));
    expect(status).toHaveTextContent("openapi-us.dji.com");
    expect(status).toHaveTextContent("1 h 0 min");
    expect(calls.find((c) => c.cmd === "test_connection")?.args).toEqual({ region: "us", accessKey: "AK", secretKey: null });

    // New keys typed, not saved: those are tested.
    await type("access-key", "AK-NEW");
    await type("secret-key", "SK-NEW");
    await fireEvent.click(screen.getByTestId("test-connection"));
    await waitFor(() => expect(screen.getByTestId("account-status")).toHaveTextContent("with the keys in the form (not saved yet)"));
    expect(calls.filter((c) => c.cmd === "test_connection").at(-1)?.args).toEqual({ region: "us", accessKey: "AK-NEW", secretKey: "SK-NEW" });
  });

  it("Test connection renders backend errors and a missing command readably", async () => {
    let wrongKeys = true;
    mockBackend({
      get_account: () => account({ region: "us", accessKey: "AK", secretStored: true }),
      test_connection: () => {
        if (wrongKeys) throw appError("auth.wrong_keys", "(English)");
        throw "Command test_connection not found";
      },
    });
    render(SettingsScreen);
    await screen.findByTestId("access-key");

    await fireEvent.click(screen.getByTestId("test-connection"));
    expect(await screen.findByTestId("account-error")).toHaveTextContent("The AccessKey or SecretKey is wrong: DJI's server rejected the signature.");

    wrongKeys = false;
    await fireEvent.click(screen.getByTestId("test-connection"));
    await waitFor(() =>
      expect(screen.getByTestId("account-error")).toHaveTextContent(
        "This action is not available in this version of TerraDesk.",
      ),
    );
  });

  it("without a backend (plain browser) shows a readable error, not a blank form", async () => {
    resetBackend();
    render(SettingsScreen);
    const alert = await screen.findByTestId("account-error");
    expect(alert).toHaveTextContent("The TerraDesk backend is not available.");
    expect(screen.getByTestId("save-account")).toBeInTheDocument();
    expect(screen.getByTestId("region-us")).toBeInTheDocument();
  });
});
