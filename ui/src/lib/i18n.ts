// All user-visible text goes through this module.
//
// Usage in components:   {$t("nav.jobs")}   or   {$t("status.saved", { region: "…" })}
// Outside components:    translate(get(locale), "nav.jobs")
//
// The language follows navigator.language (zh* → Simplified Chinese, anything
// else → English). `setLocale` is there for a future language switch.

import { derived, get, writable } from "svelte/store";

export type Locale = "en" | "zh-CN";

export const LOCALES: readonly Locale[] = ["en", "zh-CN"] as const;

const en = {
  "app.name": "TerraDesk",
  "app.tagline": "Cloud reconstructions",
  "app.version": "Version {version}",

  "nav.label": "Main navigation",
  "nav.jobs": "Jobs",
  "nav.newJob": "New job",
  "nav.settings": "Settings",

  "jobs.title": "Jobs",
  "jobs.subtitle": "Reconstructions you have started in the DJI Terra cloud.",
  "jobs.emptyTitle": "No jobs yet",
  "jobs.emptyBody":
    "Jobs will list every reconstruction you start. This screen arrives in a coming version.",
  "jobs.emptyAction": "Set up your account",

  "newJob.title": "New job",
  "newJob.subtitle": "Upload survey photos and start a cloud reconstruction.",
  "newJob.emptyTitle": "Not available yet",
  "newJob.emptyBody":
    "New job will let you pick a folder of drone photos, choose the outputs and start a reconstruction. This screen arrives in a coming version.",

  "settings.title": "Settings",
  "settings.subtitle": "Connect TerraDesk to your DJI TerraAPI account.",

  "account.title": "Account",
  "account.intro":
    "TerraDesk signs every request with your TerraAPI AccessKey and SecretKey. Keys are stored separately for each region in the system keychain.",
  "account.loading": "Loading account…",
  "account.region": "Region",
  "account.accessKey": "AccessKey",
  "account.optional": "optional",
  "account.accessKeyPlaceholder": "Paste your AccessKey",
  "account.secretKey": "SecretKey",
  "account.secretKeyPlaceholder": "Paste your SecretKey",
  "account.secretKeyKeepPlaceholder": "Leave empty to keep the stored key",
  "account.secretStored": "SecretKey stored",
  "account.secretHint": "The SecretKey is never shown again after saving.",
  "account.sandboxNote":
    "The sandbox works without keys; a demo key pair is used when none is saved.",
  "account.save": "Save",
  "account.saving": "Saving…",
  "account.delete": "Delete keys",
  "account.confirmDeleteQuestion":
    "Delete the keys stored for {region}? This cannot be undone.",
  "account.confirmDelete": "Delete",
  "account.cancel": "Cancel",
  "account.test": "Test connection",
  "account.testing": "Testing…",
  "account.testHint": "Checks the saved keys of the selected region.",

  "region.us": "United States",
  "region.cn": "China",
  "region.sandbox": "Sandbox",
  "region.sandboxDetail": "Local, no account needed",
  "region.sandboxHost": "Runs on this computer",

  "status.saved": "Keys saved for {region}.",
  "status.deleted": "Keys deleted for {region}.",
  "status.regionSelected": "{region} selected.",
  "status.sandboxSelected": "Sandbox selected. The demo key pair will be used.",
  "status.connected": "Connection OK: {message}",
  "status.connectedDetail": "{host} · token expires in {duration}",

  "error.details": "Details",
  "error.backendUnavailable":
    "The TerraDesk backend is not available. Open this screen in the TerraDesk desktop app.",
  "error.notAvailable": "This action is not available in this version of TerraDesk.",
  "error.unexpected": "Something went wrong. TerraDesk returned an unexpected error.",
  "error.accessKeyRequired": "Enter your AccessKey.",
  "error.secretKeyRequired": "Enter your SecretKey.",

  "duration.seconds": "{n} s",
  "duration.minutes": "{n} min",
  "duration.hours": "{n} h {m} min",
} as const;

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;

const zhCN: Messages = {
  "app.name": "TerraDesk",
  "app.tagline": "云端重建",
  "app.version": "版本 {version}",

  "nav.label": "主导航",
  "nav.jobs": "任务",
  "nav.newJob": "新建任务",
  "nav.settings": "设置",

  "jobs.title": "任务",
  "jobs.subtitle": "你在大疆智图云端启动的重建任务。",
  "jobs.emptyTitle": "暂无任务",
  "jobs.emptyBody": "这里将列出你启动的每一个重建任务。此页面将在后续版本中推出。",
  "jobs.emptyAction": "设置账号",

  "newJob.title": "新建任务",
  "newJob.subtitle": "上传航测照片并启动云端重建。",
  "newJob.emptyTitle": "暂未开放",
  "newJob.emptyBody":
    "在这里可以选择无人机照片文件夹、设置输出成果并启动重建。此页面将在后续版本中推出。",

  "settings.title": "设置",
  "settings.subtitle": "将 TerraDesk 连接到你的大疆 TerraAPI 账号。",

  "account.title": "账号",
  "account.intro":
    "TerraDesk 使用你的 TerraAPI AccessKey 和 SecretKey 为每个请求签名。密钥按区域分别保存在系统钥匙串中。",
  "account.loading": "正在加载账号…",
  "account.region": "区域",
  "account.accessKey": "AccessKey",
  "account.optional": "可选",
  "account.accessKeyPlaceholder": "粘贴你的 AccessKey",
  "account.secretKey": "SecretKey",
  "account.secretKeyPlaceholder": "粘贴你的 SecretKey",
  "account.secretKeyKeepPlaceholder": "留空则保留已保存的密钥",
  "account.secretStored": "已保存 SecretKey",
  "account.secretHint": "保存后将不再显示 SecretKey。",
  "account.sandboxNote": "沙盒无需密钥即可使用；未保存密钥时将使用演示密钥对。",
  "account.save": "保存",
  "account.saving": "正在保存…",
  "account.delete": "删除密钥",
  "account.confirmDeleteQuestion": "确定删除为“{region}”保存的密钥吗？此操作无法撤销。",
  "account.confirmDelete": "删除",
  "account.cancel": "取消",
  "account.test": "测试连接",
  "account.testing": "正在测试…",
  "account.testHint": "使用所选区域已保存的密钥进行检查。",

  "region.us": "美国",
  "region.cn": "中国",
  "region.sandbox": "沙盒",
  "region.sandboxDetail": "本地运行，无需账号",
  "region.sandboxHost": "在本机运行",

  "status.saved": "已保存“{region}”的密钥。",
  "status.deleted": "已删除“{region}”的密钥。",
  "status.regionSelected": "已切换到“{region}”。",
  "status.sandboxSelected": "已切换到沙盒，将使用演示密钥对。",
  "status.connected": "连接成功：{message}",
  "status.connectedDetail": "{host} · 令牌将在 {duration}后过期",

  "error.details": "详细信息",
  "error.backendUnavailable": "无法连接 TerraDesk 后台服务。请在 TerraDesk 桌面应用中打开此页面。",
  "error.notAvailable": "此版本的 TerraDesk 尚不支持该操作。",
  "error.unexpected": "出现问题：TerraDesk 返回了无法识别的错误。",
  "error.accessKeyRequired": "请输入 AccessKey。",
  "error.secretKeyRequired": "请输入 SecretKey。",

  "duration.seconds": "{n} 秒",
  "duration.minutes": "{n} 分钟",
  "duration.hours": "{n} 小时 {m} 分钟",
};

export const dictionaries: Record<Locale, Messages> = { en, "zh-CN": zhCN };

/** Maps a BCP 47 language tag (e.g. navigator.language) to a supported locale. */
export function pickLocale(tag: string | null | undefined): Locale {
  if (tag && /^zh(\b|[-_])/i.test(tag.trim())) return "zh-CN";
  return "en";
}

/** The locale suggested by the browser / webview. */
export function detectLocale(): Locale {
  return pickLocale(typeof navigator === "undefined" ? undefined : navigator.language);
}

export type Params = Record<string, string | number>;

export function translate(loc: Locale, key: MessageKey, params?: Params): string {
  const template = dictionaries[loc][key] ?? dictionaries.en[key] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export const locale = writable<Locale>(detectLocale());

export function setLocale(loc: Locale): void {
  locale.set(loc);
}

/** Store holding the translate function of the current locale: `$t("key")`. */
export const t = derived(
  locale,
  (loc) =>
    (key: MessageKey, params?: Params): string =>
      translate(loc, key, params),
);

/** Translate with the current locale outside of components. */
export function tr(key: MessageKey, params?: Params): string {
  return translate(get(locale), key, params);
}

/** Human-readable duration, e.g. "59 min" / "1 h 5 min". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return tr("duration.seconds", { n: s });
  const minutes = Math.round(s / 60);
  if (minutes < 60) return tr("duration.minutes", { n: minutes });
  return tr("duration.hours", { n: Math.floor(minutes / 60), m: minutes % 60 });
}
