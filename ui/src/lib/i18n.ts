// All user-visible text goes through this module.
//
// Usage in components:   {$t("nav.jobs")}   or   {$t("status.saved", { region: "…" })}
// Outside components:    translate(get(locale), "nav.jobs")
//
// The language is the one chosen in Settings (saved by the backend), or follows
// navigator.language when "Follow system" is chosen (zh* → Simplified Chinese, anything
// else → English).

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

  "nav.activeCount": "{n} under way",

  "jobs.title": "Jobs",
  "jobs.subtitle": "Reconstructions you have started in the DJI Terra cloud.",
  "jobs.emptyTitle": "No jobs yet",
  "jobs.emptyBody":
    "Drop a folder of drone photos on New job to start your first reconstruction. Every job you start is listed here, also after a restart.",
  "jobs.emptyAction": "Set up your account",
  "jobs.emptyNewJob": "Start a new job",
  "jobs.newJob": "New job",
  "jobs.loading": "Loading jobs…",
  "jobs.listLabel": "Job history",
  "jobs.colName": "Name",
  "jobs.colKind": "Type",
  "jobs.colState": "Status",
  "jobs.colProgress": "Progress",
  "jobs.colCreated": "Created",
  "jobs.retryOf": "retry of #{id}",

  "kind.map2d": "2D map",
  "kind.model3d": "3D model",
  "kind.lidar": "LiDAR point cloud",
  "kind.map2dHint": "Orthomosaic and DSM",
  "kind.model3dHint": "Textured mesh, oblique photos",
  "kind.lidarHint": "DJI L1/L2 scans",

  "state.draft": "Draft",
  "state.uploading": "Uploading",
  "state.queued": "Queued",
  "state.submitted": "Submitted",
  "state.processing": "Processing",
  "state.finished": "Finished",
  "state.failed": "Failed",
  "state.stopped": "Stopped",
  "state.downloading": "Downloading",
  "state.downloaded": "Downloaded",
  "state.exported": "Exported",

  "newJob.title": "New job",
  "newJob.subtitle": "Upload survey photos and start a cloud reconstruction.",
  "newJob.dropTitle": "Drag one or more survey folders here",
  "newJob.dropBody":
    "Photos (JPG, DNG, TIFF…) or a DJI L1/L2 LiDAR mission folder. Nothing is uploaded until you press Start.",
  "newJob.dropMore": "Drop more folders to start several jobs with the same settings",
  "newJob.dropActive": "Release to add the folder",
  "newJob.or": "or",
  "newJob.choose": "Choose folder…",
  "newJob.choosing": "Choosing…",
  "newJob.scanning": "Scanning {name}…",
  "newJob.remove": "Remove {name}",
  "newJob.jobSection": "Job",
  "newJob.kind": "Type of result",
  "newJob.suggested": "suggested",
  "newJob.name": "Job name",
  "newJob.nameHint": "Shown in Jobs and in the ZIP's file name.",
  "newJob.nameMany": "Each job is named after its folder.",
  "newJob.preset": "Preset",
  "newJob.presetNone": "None (defaults)",
  "newJob.presetHint": "Fills in the parameters below; you can still change them.",
  "newJob.params": "Parameters",
  "newJob.paramsLoading": "Loading parameters…",
  "newJob.advanced": "Advanced ({n})",
  "newJob.reset": "Reset to defaults",
  "newJob.start": "Start",
  "newJob.startMany": "Start {n} jobs",
  "newJob.starting": "Starting…",
  "newJob.blockedNoFolder": "Drop or choose a folder to start.",
  "newJob.blockedScanning": "Scanning the folder…",
  "newJob.blockedProblems": "The folder does not fit this type of result (see above).",
  "newJob.blockedErrors": "Fix the parameters marked in red.",
  "newJob.readyOne": "Uploads {size} from {name}, then starts the reconstruction.",
  "newJob.readyMany": "Uploads {size} from {n} folders, one job per folder.",

  "summary.files": "Files",
  "summary.size": "Size",
  "summary.photos": "Photos",
  "summary.lidar": "LiDAR files",
  "summary.skipped": "{n} skipped — why?",
  "summary.skippedOne": "1 skipped — why?",
  "summary.problems": "Cannot start as a {kind}:",

  "param.range": "Range {range}",
  "param.even": "even numbers",
  "param.requires": "Applies when “{label}” is on.",
  "param.notSet": "Not set (the service decides)",
  "param.auto": "Automatic",
  "param.on": "On",
  "param.off": "Off",

  "cs.placeholder": "Automatic — type to search",
  "cs.noMatch": "No match. Type an EPSG code such as EPSG:32650.",
  "cs.clear": "Clear (automatic)",
  "cs.useTyped": "Use {code}",

  "job.back": "All jobs",
  "job.loading": "Loading the job…",
  "job.created": "Created {date}",
  "job.folder": "Folder",
  "job.notRunning": "This job is not running in TerraDesk now.",
  "job.notRunningBody":
    "It stopped when TerraDesk closed or the connection dropped. Resume goes on from where it stopped.",
  "job.finishedNote": "The reconstruction finished. Choose the outputs to download.",
  "job.stoppedNote": "The job was stopped. Retry starts it again as a new job with the same photos.",

  "timeline.label": "Steps",
  "step.upload": "Upload",
  "step.queue": "Queue",
  "step.processing": "Processing",
  "step.download": "Download",
  "step.export": "Export",
  "stepStatus.done": "done",
  "stepStatus.current": "in progress",
  "stepStatus.pending": "not yet",
  "stepStatus.failed": "failed",
  "stepStatus.stopped": "stopped",

  "upload.title": "Uploading",
  "upload.preparing": "Preparing the upload…",
  "upload.bytes": "{done} of {total}",
  "upload.files": "{done} of {total} files",
  "upload.paused": "Paused",
  "upload.failedFiles": "{n} files failed; they are tried again when the upload resumes.",
  "eta.left": "about {duration} left",
  "eta.almostDone": "almost done",
  "eta.server": "server estimates {duration} left",

  "processing.title": "Processing in the cloud",
  "processing.waiting": "Waiting for the server to begin…",
  "processing.percent": "{percent} done",
  "queued.title": "Waiting for a free slot",

  "action.pause": "Pause upload",
  "action.resumeUpload": "Resume upload",
  "action.cancelUpload": "Cancel upload",
  "action.stop": "Stop job",
  "action.resume": "Resume",
  "action.retry": "Retry",
  "action.delete": "Delete",
  "action.openFolder": "Open folder",
  "action.confirmDelete": "Delete job",
  "action.cancel": "Cancel",
  "delete.question": "Delete “{name}” from the history? Downloaded files stay on disk.",
  "delete.remote": "Also delete it on the server",

  "log.title": "Activity",
  "log.empty": "Nothing yet.",

  "results.title": "Results",
  "results.loading": "Looking up the result…",
  "results.outputsLabel": "Choose what to download",
  "results.files": "{n} files",
  "results.oneFile": "1 file",
  "results.download": "Download",
  "results.downloadAgain": "Download again",
  "results.downloading": "Downloading…",
  "results.progressFiles": "{done} of {total} files",
  "results.downloaded": "Downloaded {files} files ({size}) to {folder}",
  "results.downloadedTo": "Downloaded to {folder}",
  "results.skippedExisting": "{n} files were already complete from an earlier download.",
  "results.refused": "{n} files were not saved because their names are unsafe:",
  "results.openResultFolder": "Open result folder",
  "results.export": "Export Terra ZIP",
  "results.exporting": "Exporting…",
  "results.exportHint": "Saves one ZIP that DJI Terra imports as it is.",
  "results.exported": "Exported {path}",
  "results.exportedDetail": "{entries} files, {size}",
  "results.showInFolder": "Show in folder",
  "results.moved": "Moved into the Terra layout:",
  "results.missing": "Not in this result: {names}",
  "results.noneSelected": "Choose at least one output.",

  "settings.title": "Settings",
  "settings.subtitle": "Your DJI TerraAPI account, the language and the logs.",

  "general.title": "General",
  "general.intro": "Language, logs, and what closing the window does.",
  "language.label": "Language",
  "language.auto": "Follow system",
  "language.en": "English",
  "language.zh": "简体中文",
  "logs.label": "Logs",
  "logs.open": "Open log folder",
  "logs.hint": "If something goes wrong, these files tell support what happened.",
  "logs.opened": "Opened {path}",
  "tray.note":
    "While a job runs, closing the window keeps TerraDesk in the system tray so uploads continue; choose Quit from the tray icon to stop (unfinished jobs resume at next start).",

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

  "nav.activeCount": "{n} 个进行中",

  "jobs.title": "任务",
  "jobs.subtitle": "你在大疆智图云端启动的重建任务。",
  "jobs.emptyTitle": "暂无任务",
  "jobs.emptyBody":
    "在“新建任务”中拖入无人机照片文件夹，即可开始第一个重建。你启动的每个任务都会列在这里，重启后也不会丢失。",
  "jobs.emptyAction": "设置账号",
  "jobs.emptyNewJob": "新建任务",
  "jobs.newJob": "新建任务",
  "jobs.loading": "正在加载任务…",
  "jobs.listLabel": "任务历史",
  "jobs.colName": "名称",
  "jobs.colKind": "类型",
  "jobs.colState": "状态",
  "jobs.colProgress": "进度",
  "jobs.colCreated": "创建时间",
  "jobs.retryOf": "重试自 #{id}",

  "kind.map2d": "二维地图",
  "kind.model3d": "三维模型",
  "kind.lidar": "激光雷达点云",
  "kind.map2dHint": "正射影像和 DSM",
  "kind.model3dHint": "带纹理网格，倾斜摄影",
  "kind.lidarHint": "大疆 L1/L2 扫描数据",

  "state.draft": "草稿",
  "state.uploading": "上传中",
  "state.queued": "排队中",
  "state.submitted": "已提交",
  "state.processing": "处理中",
  "state.finished": "已完成",
  "state.failed": "失败",
  "state.stopped": "已停止",
  "state.downloading": "下载中",
  "state.downloaded": "已下载",
  "state.exported": "已导出",

  "newJob.title": "新建任务",
  "newJob.subtitle": "上传航测照片并启动云端重建。",
  "newJob.dropTitle": "将一个或多个航测文件夹拖到这里",
  "newJob.dropBody": "照片（JPG、DNG、TIFF…）或大疆 L1/L2 激光雷达任务文件夹。点击“开始”之前不会上传任何内容。",
  "newJob.dropMore": "继续拖入文件夹，可用相同设置启动多个任务",
  "newJob.dropActive": "松开即可添加文件夹",
  "newJob.or": "或",
  "newJob.choose": "选择文件夹…",
  "newJob.choosing": "正在选择…",
  "newJob.scanning": "正在扫描 {name}…",
  "newJob.remove": "移除 {name}",
  "newJob.jobSection": "任务",
  "newJob.kind": "成果类型",
  "newJob.suggested": "推荐",
  "newJob.name": "任务名称",
  "newJob.nameHint": "显示在任务列表和 ZIP 文件名中。",
  "newJob.nameMany": "每个任务以其文件夹命名。",
  "newJob.preset": "预设",
  "newJob.presetNone": "无（默认值）",
  "newJob.presetHint": "填入下方参数，之后仍可修改。",
  "newJob.params": "参数",
  "newJob.paramsLoading": "正在加载参数…",
  "newJob.advanced": "高级（{n}）",
  "newJob.reset": "恢复默认值",
  "newJob.start": "开始",
  "newJob.startMany": "开始 {n} 个任务",
  "newJob.starting": "正在启动…",
  "newJob.blockedNoFolder": "请拖入或选择一个文件夹。",
  "newJob.blockedScanning": "正在扫描文件夹…",
  "newJob.blockedProblems": "该文件夹不适合此成果类型（见上方说明）。",
  "newJob.blockedErrors": "请修正标红的参数。",
  "newJob.readyOne": "将上传 {name} 中的 {size}，然后开始重建。",
  "newJob.readyMany": "将从 {n} 个文件夹上传 {size}，每个文件夹一个任务。",

  "summary.files": "文件",
  "summary.size": "大小",
  "summary.photos": "照片",
  "summary.lidar": "激光雷达文件",
  "summary.skipped": "已跳过 {n} 个 — 查看原因",
  "summary.skippedOne": "已跳过 1 个 — 查看原因",
  "summary.problems": "无法作为{kind}启动：",

  "param.range": "范围 {range}",
  "param.even": "偶数",
  "param.requires": "仅在开启“{label}”时生效。",
  "param.notSet": "未设置（由服务决定）",
  "param.auto": "自动",
  "param.on": "开",
  "param.off": "关",

  "cs.placeholder": "自动 — 输入以搜索",
  "cs.noMatch": "没有匹配项。请输入 EPSG 代码，例如 EPSG:32650。",
  "cs.clear": "清除（自动）",
  "cs.useTyped": "使用 {code}",

  "job.back": "全部任务",
  "job.loading": "正在加载任务…",
  "job.created": "创建于 {date}",
  "job.folder": "文件夹",
  "job.notRunning": "此任务当前未在 TerraDesk 中运行。",
  "job.notRunningBody": "TerraDesk 关闭或连接中断时任务已暂停。点击“继续”将从中断处接着进行。",
  "job.finishedNote": "重建已完成。请选择要下载的成果。",
  "job.stoppedNote": "任务已停止。点击“重试”将使用相同照片作为新任务重新开始。",

  "timeline.label": "步骤",
  "step.upload": "上传",
  "step.queue": "排队",
  "step.processing": "处理",
  "step.download": "下载",
  "step.export": "导出",
  "stepStatus.done": "已完成",
  "stepStatus.current": "进行中",
  "stepStatus.pending": "未开始",
  "stepStatus.failed": "失败",
  "stepStatus.stopped": "已停止",

  "upload.title": "上传中",
  "upload.preparing": "正在准备上传…",
  "upload.bytes": "{done} / {total}",
  "upload.files": "{done} / {total} 个文件",
  "upload.paused": "已暂停",
  "upload.failedFiles": "{n} 个文件上传失败；继续上传时会重新尝试。",
  "eta.left": "预计还需 {duration}",
  "eta.almostDone": "即将完成",
  "eta.server": "服务器预计还需 {duration}",

  "processing.title": "云端处理中",
  "processing.waiting": "等待服务器开始处理…",
  "processing.percent": "已完成 {percent}",
  "queued.title": "等待空闲名额",

  "action.pause": "暂停上传",
  "action.resumeUpload": "继续上传",
  "action.cancelUpload": "取消上传",
  "action.stop": "停止任务",
  "action.resume": "继续",
  "action.retry": "重试",
  "action.delete": "删除",
  "action.openFolder": "打开文件夹",
  "action.confirmDelete": "删除任务",
  "action.cancel": "取消",
  "delete.question": "确定从历史中删除“{name}”吗？已下载的文件会保留在磁盘上。",
  "delete.remote": "同时在服务器上删除",

  "log.title": "活动记录",
  "log.empty": "暂无记录。",

  "results.title": "成果",
  "results.loading": "正在获取成果列表…",
  "results.outputsLabel": "选择要下载的内容",
  "results.files": "{n} 个文件",
  "results.oneFile": "1 个文件",
  "results.download": "下载",
  "results.downloadAgain": "重新下载",
  "results.downloading": "正在下载…",
  "results.progressFiles": "{done} / {total} 个文件",
  "results.downloaded": "已下载 {files} 个文件（{size}）到 {folder}",
  "results.downloadedTo": "已下载到 {folder}",
  "results.skippedExisting": "有 {n} 个文件在之前的下载中已完成。",
  "results.refused": "有 {n} 个文件因名称不安全而未保存：",
  "results.openResultFolder": "打开成果文件夹",
  "results.export": "导出 Terra ZIP",
  "results.exporting": "正在导出…",
  "results.exportHint": "保存为一个可直接导入大疆智图的 ZIP。",
  "results.exported": "已导出 {path}",
  "results.exportedDetail": "{entries} 个文件，{size}",
  "results.showInFolder": "在文件夹中显示",
  "results.moved": "已调整到 Terra 目录结构：",
  "results.missing": "此成果中缺少：{names}",
  "results.noneSelected": "请至少选择一项。",

  "settings.title": "设置",
  "settings.subtitle": "你的大疆 TerraAPI 账号、语言和日志。",

  "general.title": "通用",
  "general.intro": "语言、日志，以及关闭窗口时的行为。",
  "language.label": "语言",
  "language.auto": "跟随系统",
  "language.en": "English",
  "language.zh": "简体中文",
  "logs.label": "日志",
  "logs.open": "打开日志文件夹",
  "logs.hint": "遇到问题时，这些文件可以告诉技术支持发生了什么。",
  "logs.opened": "已打开 {path}",
  "tray.note":
    "任务运行时关闭窗口，TerraDesk 会保留在系统托盘中继续上传；从托盘图标选择“退出”即可停止（未完成的任务会在下次启动时继续）。",

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

/** What Settings → Language holds: "auto" follows the system. */
export type LanguagePreference = "auto" | Locale;

export const languagePreference = writable<LanguagePreference>("auto");

/** Accepts what the backend saved; anything unknown counts as "auto". */
export function parseLanguagePreference(value: string | null | undefined): LanguagePreference {
  return value === "en" || value === "zh-CN" ? value : "auto";
}

/** Switch the UI to a preference at once. */
export function applyLanguagePreference(pref: LanguagePreference): void {
  languagePreference.set(pref);
  setLocale(pref === "auto" ? detectLocale() : pref);
}

/** The English or Chinese variant of a text that comes in both (parameter labels, presets). */
export function localized(loc: Locale, en: string, zh: string): string {
  return loc === "zh-CN" && zh ? zh : en;
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
