// Data as the backend sends it, for component tests.
import type {
  Catalog,
  DatasetSummary,
  JobAction,
  JobDetail,
  JobEvent,
  JobKind,
  JobRecord,
  JobState,
  JobView,
  ParamSpec,
  Preset,
  Progress,
  Step,
  StepId,
  StepStatus,
  TaskInfo,
} from "../lib/bindings";

export function summary(s: Partial<DatasetSummary> = {}): DatasetSummary {
  const name = s.name ?? "field-7";
  return {
    root: `/surveys/${name}`,
    name,
    fileCount: 12,
    totalBytes: 48_300_000,
    photos: 12,
    lidarFiles: 0,
    photosWithoutExif: 0,
    others: [],
    otherCount: 0,
    otherBytes: 0,
    skipped: [],
    skippedCount: 0,
    skippedCodes: [],
    suggestedKind: "map2d",
    problems: [
      { kind: "map2d", problems: [] },
      { kind: "model3d", problems: [] },
      {
        kind: "lidar",
        problems: [{ code: "dataset.no_lidar", params: {}, message: "A LiDAR job needs a DJI L1/L2 mission folder (.LDR, .IMU, .RTK … files); the folder has none.", detail: null }],
      },
    ],
    ...s,
  };
}

const base = { helpZh: "帮助", labelZh: "", unit: null, advanced: false, requires: null } as const;

export const SCHEMA: Record<JobKind, ParamSpec[]> = {
  map2d: [
    {
      ...base,
      key: "map_mode",
      type: "choice",
      choices: [
        { value: 0, labelEn: "Farmland", labelZh: "农田" },
        { value: 1, labelEn: "City", labelZh: "城市" },
        { value: 2, labelEn: "Orchard", labelZh: "果树" },
      ],
      default: 1,
      labelEn: "Scene",
      labelZh: "场景",
      helpEn: "The kind of ground surveyed.",
    },
    {
      ...base,
      key: "quality_level",
      type: "choice",
      choices: [
        { value: 1, labelEn: "High", labelZh: "高" },
        { value: 2, labelEn: "Medium", labelZh: "中" },
        { value: 3, labelEn: "Low", labelZh: "低" },
      ],
      default: 1,
      labelEn: "Quality",
      labelZh: "重建质量",
      helpEn: "Higher quality takes longer.",
    },
    {
      ...base,
      key: "output_cs",
      type: "coordinate_system",
      default: null,
      labelEn: "Output coordinate system",
      labelZh: "输出坐标系",
      helpEn: "EPSG code; empty: automatic.",
    },
    {
      ...base,
      key: "dom_tile_size",
      type: "int",
      min: 0,
      max: 65536,
      even: true,
      default: 0,
      unit: "px",
      advanced: true,
      labelEn: "Orthomosaic tile size",
      labelZh: "正射影像分块大小",
      helpEn: "0 keeps one file.",
    },
    {
      ...base,
      key: "use_Wallis",
      type: "bool",
      default: false,
      advanced: true,
      labelEn: "Even out colours",
      labelZh: "匀色",
      helpEn: "Wallis filter.",
    },
  ],
  model3d: [
    {
      ...base,
      key: "quality_level",
      type: "choice",
      choices: [
        { value: 1, labelEn: "High", labelZh: "高" },
        { value: 3, labelEn: "Low", labelZh: "低" },
      ],
      default: 1,
      labelEn: "Quality",
      labelZh: "重建质量",
      helpEn: "Higher quality takes longer.",
    },
    {
      ...base,
      key: "output_mesh",
      type: "bool",
      default: true,
      labelEn: "Mesh model",
      labelZh: "网格模型",
      helpEn: "Produce the textured 3D mesh.",
    },
    {
      ...base,
      key: "generate_obj",
      type: "bool",
      default: true,
      requires: "output_mesh",
      labelEn: "OBJ",
      labelZh: "OBJ",
      helpEn: "Mesh as OBJ.",
    },
    {
      ...base,
      key: "model_simplify",
      type: "float",
      min: 0.05,
      max: 1,
      default: 1,
      advanced: true,
      labelEn: "Mesh simplification",
      labelZh: "模型简化",
      helpEn: "Share of the mesh's triangles to keep.",
    },
  ],
  lidar: [
    {
      ...base,
      key: "sample_distance",
      type: "float",
      min: 0.001,
      max: 100,
      default: null,
      unit: "m",
      labelEn: "Sample distance",
      labelZh: "采样距离",
      helpEn: "Keep one point per this distance.",
    },
  ],
};

export const PRESETS: Preset[] = [
  { id: "2d-farmland-fast", kind: "map2d", labelEn: "2D farmland, fast", labelZh: "二维农田（快速）", values: { map_mode: 0, quality_level: 3 } },
  { id: "3d-oblique-city", kind: "model3d", labelEn: "3D oblique city", labelZh: "三维倾斜城市", values: { quality_level: 1, output_mesh: true } },
  { id: "lidar-dem", kind: "lidar", labelEn: "LiDAR with DEM", labelZh: "激光雷达 + DEM", values: { sample_distance: 0.05 } },
];

export const CATALOG: Catalog = {
  regions: [
    { id: "us", host: "https://openapi-us.dji.com" },
    { id: "cn", host: "https://openapi-cn.dji.com" },
    { id: "sandbox", host: null },
  ],
  languages: [
    { id: "auto", native: "" },
    { id: "en", native: "English" },
    { id: "zh-CN", native: "简体中文" },
  ],
  kinds: ["map2d", "model3d", "lidar"],
  presets: PRESETS,
  version: "0.1.0",
};

export function job(j: Partial<JobRecord> = {}): JobRecord {
  return {
    id: 1,
    revision: 1,
    unreadable: null,
    name: "field-7",
    kind: "map2d",
    dataset: "/surveys/field-7",
    parameters: { kind: "map2d", values: {} },
    region: "sandbox",
    host: "127.0.0.1:8788",
    state: "uploading",
    resourceUuid: "res-1",
    remoteJobUuid: null,
    outputResourceUuid: null,
    remoteStatus: null,
    percentage: null,
    remainSeconds: null,
    error: null,
    waitingReason: null,
    downloadDir: null,
    outputs: [],
    exportPath: null,
    retryOf: null,
    leaveOutOthers: false,
    leftOut: [],
    resultOutputs: null,
    createdAt: 1_764_000_000,
    updatedAt: 1_764_000_000,
    ...j,
  };
}

/** What the core allows in each state (as crates/core/src/jobs/actions.rs says), for test data. */
export function actionsFor(state: JobState, task: TaskInfo | null): JobAction[] {
  const out: JobAction[] = [];
  const running = (k: TaskInfo["kind"]) => task?.kind === k;
  if (state === "unreadable") return ["delete"];
  if (state === "draft" || state === "uploading") {
    out.push(running("pipeline") ? (task!.paused ? "resume_upload" : "pause_upload") : "continue", "cancel_upload");
  } else if (state === "queued" || state === "submitted" || state === "processing") {
    if (!running("pipeline")) out.push("continue");
    out.push("stop");
  } else if (state === "failed" || state === "stopped") {
    out.push("retry");
  } else if (running("download")) {
    out.push("cancel_download");
  } else if (running("export")) {
    out.push("cancel_export");
  } else {
    out.push("download");
    if (state === "downloaded" || state === "exported") out.push("export");
    if (state === "exported") out.push("show_result");
  }
  return [...out, "open_folder", "delete"];
}

const STEP_OF: Partial<Record<JobState, StepId>> = {
  draft: "upload",
  uploading: "upload",
  queued: "queue",
  submitted: "processing",
  processing: "processing",
  finished: "download",
  downloading: "download",
  downloaded: "export",
};

/** The steps of a job in `state` (as crates/core/src/desk/views.rs computes them), for test data. */
export function stepsFor(state: JobState, waited = false, end: StepStatus = "current"): Step[] {
  const ids: StepId[] = ["upload", ...(waited || state === "queued" ? (["queue"] as StepId[]) : []), "processing", "download", "export"];
  if (state === "exported") return ids.map((id) => ({ id, status: "done" }));
  const at = ids.indexOf(STEP_OF[state] ?? "processing");
  const status: StepStatus = state === "failed" ? "failed" : state === "stopped" ? "stopped" : state === "finished" || state === "downloaded" ? "ready" : end;
  return ids.map((id, i) => ({ id, status: i < at ? "done" : i === at ? status : "pending" }));
}

let seq = 1;

export function view(j: Partial<JobRecord> = {}, v: Partial<Omit<JobView, "job">> = {}): JobView {
  const record = job(j);
  const task = v.task ?? null;
  return { seq: seq++, job: record, task, actions: actionsFor(record.state, task), steps: stepsFor(record.state), ...v };
}

export function event(state: JobState, code: string | null = null, message = "", params: JobEvent["params"] = {}): JobEvent {
  return { at: 1_764_000_000, state, code, params, message };
}

export function detail(j: Partial<JobRecord> = {}, d: Partial<Omit<JobDetail, "view">> & { task?: TaskInfo | null } = {}): JobDetail {
  const { task, ...rest } = d;
  const v = view(j, { task: task ?? null });
  return {
    view: v,
    events: [event("draft", "note.created", "Job created")],
    progress: null,
    ...rest,
  };
}

export function progress(u: Partial<Progress> = {}): Progress {
  return {
    phase: "upload",
    bytesDone: 12_000_000,
    bytesTotal: 48_000_000,
    filesDone: 3,
    filesTotal: 12,
    filesRegistered: 3,
    filesFailed: 0,
    speed: 3_400_000,
    etaSeconds: 180,
    paused: false,
    note: null,
    ...u,
  };
}
