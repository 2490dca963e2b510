// Settings → Network in the built app: a proxy that asks for a password (proxy.py, a real one),
// set in the form; Test connection then goes through it to the app's own sandbox; the password
// is in the real Secret Service and never in the page or the settings file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { startDriver, screenshot, keyringLookup } from "./driver.mjs";
import { $t, sandboxDataDir, withSession } from "./helpers.mjs";

const PASSWORD = "e2e-proxy-pw-31";
const dataDir = sandboxDataDir("network");
const proxyLog = path.join(dataDir, "proxy.log");
let driver;
let proxy;
let port;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

before(async () => {
  const bin = process.env.TERRADESK_PROXY_PY ?? path.resolve(".venv-test/bin/proxy");
  assert.ok(existsSync(bin), "proxy.py is not installed: run scripts/setup.sh test");
  port = await freePort();
  proxy = spawn(bin, ["--hostname", "127.0.0.1", "--port", String(port), "--num-workers", "1", "--num-acceptors", "1", "--basic-auth", `surveyor:${PASSWORD}`, "--log-file", proxyLog], { stdio: "ignore" });
  for (let i = 0; i < 100 && !(await new Promise((r) => net.connect(port, "127.0.0.1").on("connect", function () { this.end(); r(true); }).on("error", () => r(false)))); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  driver = await startDriver({ env: { TERRADESK_DATA_DIR: dataDir } });
});
after(() => {
  driver?.stop();
  proxy?.kill();
});

test("a proxy with a password set in Settings → Network carries Test connection", async () => {
  await withSession(driver, dataDir, "network", async (b) => {
    await (await b.$($t("nav-settings"))).waitForClickable({ timeout: 20000 });
    await b.$($t("nav-settings")).click();
    const manual = await b.$($t("proxy-mode-manual"));
    await manual.waitForEnabled({ timeout: 20000 });
    await manual.scrollIntoView({ block: "center" });
    await manual.click();
    await b.$($t("proxy-url")).setValue(`127.0.0.1:${port}`);
    await b.$($t("proxy-username")).setValue("surveyor");
    await b.$($t("proxy-password")).setValue(PASSWORD);
    await b.$($t("proxy-save")).click();
    const status = await b.$($t("network-status"));
    await b.waitUntil(async () => (await status.getText()).includes(`connects through http://127.0.0.1:${port}`), { timeout: 15000, timeoutMsg: "not saved" });
    assert.equal(await b.$($t("proxy-password")).getValue(), "", "the password field is emptied");
    assert.match(await b.$($t("proxy-password")).getAttribute("placeholder"), /Stored in the keychain/);
    assert.ok(!(await b.getPageSource()).includes(PASSWORD), "the password is not in the page");
    await screenshot(b, "settings-network-proxy");

    // Through the proxy to the sandbox the app started.
    const testBtn = await b.$($t("test-connection"));
    const account = await b.$($t("account-status"));
    const failed = await b.$($t("account-error"));
    // The page scrolls back up to the button; click as a user would until the test runs.
    await b.waitUntil(
      async () => {
        await testBtn.scrollIntoView({ block: "center" });
        await testBtn.click();
        await b.pause(1500);
        return /Connection OK/.test(await account.getText()) || (await failed.isExisting());
      },
      { timeout: 45000, interval: 500, timeoutMsg: "Test connection said nothing" },
    );
    await screenshot(b, "settings-network-tested");
    assert.ok(!(await failed.isExisting()), `Test connection failed through the proxy: ${(await failed.isExisting()) ? await failed.getText() : ""}`);
  });
  assert.ok(keyringLookup("TerraDesk", "proxy")?.includes(PASSWORD), "gnome-keyring holds the proxy's password");
  assert.ok(!readFileSync(path.join(dataDir, "settings.json"), "utf8").includes(PASSWORD), "not in settings.json");
  // proxy.py logs a connection when it closes; the app's client keeps it open a while.
  let log = "";
  for (let i = 0; i < 100 && !log.includes("obtain_token"); i++) {
    await new Promise((r) => setTimeout(r, 200));
    log = existsSync(proxyLog) ? readFileSync(proxyLog, "utf8") : "";
  }
  assert.match(log, /POST 127\.0\.0\.1:\d+\/terra-rescon-be\/v2\/store\/obtain_token - 200/, "the token call went through the proxy");
});
