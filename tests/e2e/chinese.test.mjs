// The app in Simplified Chinese when things go wrong and when they go right: a wrong SecretKey, a
// computer clock ten minutes off (a sandbox whose clock runs ahead), and a finished job's
// notification, each in Chinese, by the error's or the event's code (screenshots in artifacts/).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { startDriver, screenshot } from "./driver.mjs";
import { $t, appReady, cli, go, makeSurvey, sandboxDataDir, startJobFrom, waitForState, withSession } from "./helpers.mjs";

const drivers = [];
const processes = [];
after(() => {
  for (const d of drivers) d.stop();
  for (const p of processes) p.kill();
});

async function inChinese(b) {
  await appReady(b);
  await b.waitUntil(async () => (await b.execute(() => document.documentElement.lang)) === "zh-CN", { timeout: 10000, timeoutMsg: "the page is not in Chinese" });
}

/** Settings → Account → Test connection; the error it shows. */
async function testConnection(b) {
  // Point at the form first, as a user's hand does: WebKit lays a page out again on the first
  // input event, when the Chinese fallback fonts arrive.
  await b.$($t("access-key")).moveTo();
  await b.pause(300);
  const btn = await b.$($t("test-connection"));
  await btn.waitForClickable({ timeout: 10000 });
  await btn.click();
  const alert = await b.$($t("account-error"));
  await alert.waitForDisplayed({ timeout: 20000 });
  return alert;
}

test("a wrong SecretKey, then a finished job's notification, in Chinese", async () => {
  const dataDir = sandboxDataDir("zh", { language: "zh-CN" });
  const driver = await startDriver({ port: 4448, env: { TERRADESK_DATA_DIR: dataDir, TERRADESK_SANDBOX_JOB_SECS: "3" } });
  drivers.push(driver);
  await withSession(driver, dataDir, "zh-wrong-keys", async (b) => {
    await inChinese(b);
    // Keys typed in the form, tested before they are saved.
    await go(b, "settings");
    await (await b.$($t("access-key"))).waitForDisplayed({ timeout: 10000 });
    await b.$($t("access-key")).setValue("sandbox-demo-ak");
    await b.$($t("secret-key")).setValue("definitely-wrong");
    const alert = await testConnection(b);
    assert.equal(await alert.getAttribute("data-code"), "auth.wrong_keys");
    assert.match(await alert.getText(), /AccessKey 或 SecretKey 不正确/);
    await screenshot(b, "zh-wrong-keys");

    // A job that finishes: the window says so, in Chinese.
    await go(b, "new-job");
    await startJobFrom(b, makeSurvey("北区航测", 12, 2048));
    await waitForState(b, "finished", 90000);
    const toast = await b.$($t("toast"));
    await toast.waitForDisplayed({ timeout: 10000 });
    assert.match(await toast.getText(), /北区航测 已完成/);
    assert.match(await toast.getText(), /重建已完成/);
    await screenshot(b, "zh-finished-notification");
  });
});

test("a computer clock ten minutes off is explained in Chinese", async () => {
  // A sandbox whose clock runs ten minutes ahead: to it, this computer's clock is behind.
  const sandbox = spawn(cli, ["sandbox", "--port", "0", "--json", "--clock-offset", "600"], { stdio: ["ignore", "pipe", "inherit"] });
  processes.push(sandbox);
  const first = await new Promise((resolve, reject) => {
    createInterface({ input: sandbox.stdout }).once("line", resolve);
    sandbox.once("exit", (code) => reject(new Error(`the sandbox exited (${code})`)));
  });
  const { url } = JSON.parse(first);
  const dataDir = sandboxDataDir("zh-clock", { language: "zh-CN" });
  const driver = await startDriver({ port: 4450, env: { TERRADESK_DATA_DIR: dataDir, TERRADESK_SANDBOX_URL: url } });
  drivers.push(driver);
  await withSession(driver, dataDir, "zh-clock-skew", async (b) => {
    await inChinese(b);
    await go(b, "settings");
    const alert = await testConnection(b);
    assert.equal(await alert.getAttribute("data-code"), "auth.clock_skew");
    assert.match(await alert.getText(), /本机时钟与服务器相差 10 分钟（慢）/);
    await screenshot(b, "zh-clock-skew");
  });
});
