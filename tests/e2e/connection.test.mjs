// Settings → Account → Test connection, against the sandbox that the app starts itself.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDriver, freshDataDir, screenshot } from "./driver.mjs";

let driver;
before(async () => {
  driver = await startDriver({ env: { TERRADESK_DATA_DIR: freshDataDir("connection") } });
});
after(() => driver?.stop());

async function openSettings(b) {
  const nav = await b.$('[data-testid="nav-settings"]');
  await nav.waitForClickable({ timeout: 20000 });
  await nav.click();
}

async function testConnection(b) {
  const btn = await b.$('[data-testid="test-connection"]');
  await btn.waitForClickable({ timeout: 10000 });
  await btn.click();
}

test("Test connection in the Sandbox region works with no keys", async () => {
  const b = await driver.session();
  try {
    await openSettings(b);
    await b.$('[data-testid="region-sandbox"]').parentElement().click();
    await b.waitUntil(async () => (await b.$('[data-testid="region-sandbox"]').isSelected()), { timeout: 10000 });
    await testConnection(b);
    const status = await b.$('[data-testid="account-status"]');
    await b.waitUntil(async () => /Connection OK with the saved keys: Sandbox/.test(await status.getText()), {
      timeout: 20000,
      timeoutMsg: "no success message",
    });
    assert.match(await status.getText(), /storage token/);
    await screenshot(b, "settings-test-connection");
  } finally {
    await b.deleteSession();
  }
});

test("a wrong SecretKey is named as such", async () => {
  const b = await driver.session();
  try {
    await openSettings(b);
    await b.waitUntil(async () => (await b.$('[data-testid="region-sandbox"]').isSelected()), { timeout: 10000 });
    await b.$('[data-testid="access-key"]').setValue("sandbox-demo-ak");
    await b.$('[data-testid="secret-key"]').setValue("definitely-wrong");
    await b.$('[data-testid="save-account"]').click();
    await (await b.$('[data-testid="secret-stored"]')).waitForDisplayed({ timeout: 10000 });
    await testConnection(b);
    const alert = await b.$('[data-testid="account-error"]');
    await alert.waitForDisplayed({ timeout: 20000 });
    assert.equal(await alert.getAttribute("data-code"), "auth.wrong_keys");
    assert.match(await alert.getText(), /AccessKey or SecretKey is wrong/);
    await screenshot(b, "settings-wrong-keys");
  } finally {
    await b.deleteSession();
  }
});
