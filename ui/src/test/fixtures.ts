// Data as the backend sends it, for component tests.
import type {
  DatasetSummary,
  JobDetail,
  JobKind,
  JobRecord,
  ParamSpec,
  Preset,
  UploadProgress,
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
    skipped: [],
    suggestedKind: "map2d",
    problems: [
      { kind: "map2d", problems: [] },
      { kind: "model3d", problems: [] },
      { kind: "lidar", problems: ["A LiDAR job needs a DJI L1/L2 mission folder (.LDR, .IMU, .RTK … files); the folder has none."] },
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

export function job(j: Partial<JobRecord> = {}): JobRecord {
  return {
    id: 1,
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
    createdAt: 1_764_000_000,
    updatedAt: 1_764_000_000,
    ...j,
  };
}

export function detail(j: Partial<JobRecord> = {}, d: Partial<Omit<JobDetail, "job">> = {}): JobDetail {
  const record = job(j);
  return {
    job: record,
    events: [{ at: record.createdAt, state: "draft", message: "Created" }],
    running: false,
    paused: false,
    ...d,
  };
}

export function upload(u: Partial<UploadProgress> = {}): UploadProgress {
  return {
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
