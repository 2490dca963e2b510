//! Job kinds and their parameters (terra-api.md §5), as one schema that validates, carries the
//! defaults, serialises to the exact `parameters` string, and describes itself to the app's forms
//! (name, type, range or choices, default, unit, help in English and Simplified Chinese).
//!
//! It is longer than the other modules because the schema is one table (every parameter of the
//! three kinds, with its help in two languages): split up, the table would be harder to check
//! against terra-api.md §5.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")] // "map2d", "model3d", "lidar": serde and specta agree (snake_case differs on digits)
pub enum JobKind {
    /// A 2D map: orthomosaic (DOM) and DSM.
    Map2d,
    /// A 3D model.
    Model3d,
    /// A LiDAR point cloud.
    Lidar,
}

impl JobKind {
    pub const ALL: [JobKind; 3] = [JobKind::Map2d, JobKind::Model3d, JobKind::Lidar];

    /// The `type` of `POST /v2/jobs/{uuid}/start`.
    pub fn type_code(self) -> i64 {
        match self {
            JobKind::Map2d => 14,
            JobKind::Model3d => 15,
            JobKind::Lidar => 13,
        }
    }

    pub fn from_type_code(code: i64) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.type_code() == code)
    }

    pub fn id(self) -> &'static str {
        match self {
            JobKind::Map2d => "2d",
            JobKind::Model3d => "3d",
            JobKind::Lidar => "lidar",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JobKind::Map2d => "2D map",
            JobKind::Model3d => "3D model",
            JobKind::Lidar => "LiDAR point cloud",
        }
    }

    /// The top-level folders of a Terra result of this kind (terra-api.md §6).
    pub fn terra_layout(self) -> &'static [&'static str] {
        match self {
            JobKind::Map2d => &["AT", "map", "images", "mission.json"],
            JobKind::Model3d => &["AT", "models", "images", "mission.json"],
            JobKind::Lidar => &["AT", "lidars", "mission.json"],
        }
    }
}

impl std::str::FromStr for JobKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "2d" | "map" | "map2d" | "14" => Ok(JobKind::Map2d),
            "3d" | "model" | "model3d" | "15" => Ok(JobKind::Model3d),
            "lidar" | "13" => Ok(JobKind::Lidar),
            other => Err(Error::UnknownKind { value: other.to_string() }),
        }
    }
}

/// What a value may be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParamType {
    Bool,
    Int { min: i64, max: i64, even: bool },
    Float { min: f64, max: f64 },
    Choice { choices: Vec<ParamChoice> },
    /// An EPSG code ("EPSG:32650"), or nothing for automatic.
    CoordinateSystem,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ParamChoice {
    pub value: Value,
    pub label_en: String,
    pub label_zh: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ParamSpec {
    pub key: String,
    pub label_en: String,
    pub label_zh: String,
    pub help_en: String,
    pub help_zh: String,
    #[serde(flatten)]
    pub ty: ParamType,
    /// `null`: not sent unless set (the service decides).
    pub default: Value,
    pub unit: Option<String>,
    /// Shown folded under "Advanced".
    pub advanced: bool,
    /// Only applies when this boolean parameter is on.
    pub requires: Option<String>,
}

fn b(key: &str, def: bool, adv: bool, en: (&str, &str), zh: (&str, &str)) -> ParamSpec {
    spec(key, ParamType::Bool, json!(def), None, adv, en, zh)
}

fn spec(key: &str, ty: ParamType, default: Value, unit: Option<&str>, advanced: bool, en: (&str, &str), zh: (&str, &str)) -> ParamSpec {
    ParamSpec {
        key: key.into(),
        label_en: en.0.into(),
        help_en: en.1.into(),
        label_zh: zh.0.into(),
        help_zh: zh.1.into(),
        ty,
        default,
        unit: unit.map(str::to_string),
        advanced,
        requires: None,
    }
}

fn needs(mut s: ParamSpec, on: &str) -> ParamSpec {
    s.requires = Some(on.into());
    s
}

fn choice(values: &[(Value, &str, &str)]) -> ParamType {
    ParamType::Choice {
        choices: values.iter().map(|(v, en, zh)| ParamChoice { value: v.clone(), label_en: (*en).into(), label_zh: (*zh).into() }).collect(),
    }
}

fn quality(default: Value, lidar: bool) -> ParamSpec {
    let (h, m, l) = if lidar {
        (("High (keep 100% of points)", "高（保留 100% 点）"), ("Medium (25%)", "中（25%）"), ("Low (6.25%)", "低（6.25%）"))
    } else {
        (("High", "高"), ("Medium", "中"), ("Low", "低"))
    };
    spec(
        "quality_level",
        choice(&[(json!(1), h.0, h.1), (json!(2), m.0, m.1), (json!(3), l.0, l.1)]),
        default,
        None,
        false,
        if lidar {
            ("Point density", "How many points to keep. Use this or the sample distance, not both.")
        } else {
            ("Quality", "Higher quality takes longer and costs more processing time.")
        },
        if lidar { ("点云密度", "保留多少点。与采样距离二选一。") } else { ("重建质量", "质量越高，处理时间越长。") },
    )
}

fn output_cs() -> ParamSpec {
    spec(
        "output_cs",
        ParamType::CoordinateSystem,
        Value::Null,
        None,
        false,
        ("Output coordinate system", "The EPSG code of the result's coordinate system, e.g. EPSG:32650 (WGS 84 / UTM zone 50N). Empty: chosen automatically."),
        ("输出坐标系", "结果坐标系的 EPSG 代码，例如 EPSG:32650（WGS 84 / UTM 50N）。留空则自动选择。"),
    )
}

fn photo_common() -> Vec<ParamSpec> {
    vec![
        spec(
            "SfM_method",
            choice(&[(json!("GLOBAL"), "Global (photos with RTK positions)", "全局（带 RTK 位置的照片）"), (json!("INCREMENTAL"), "Incremental (photos without GPS)", "增量（无 GPS 的照片）")]),
            json!("GLOBAL"),
            None,
            true,
            ("Aerotriangulation method", "Global suits RTK photos and is faster; incremental works for photos without positions."),
            ("空三方法", "全局适合 RTK 照片且更快；增量适用于无位置信息的照片。"),
        ),
        spec(
            "sfm_feature_quantity_level",
            choice(&[(json!(1), "Many", "多"), (json!(2), "Normal", "中"), (json!(3), "Few", "少")]),
            json!(2),
            None,
            true,
            ("Feature points", "How many feature points aerotriangulation looks for in each photo."),
            ("特征点数量", "空三在每张照片中提取的特征点数量。"),
        ),
        b("use_image_position", true, true, ("Use photo positions", "Use the GPS/RTK positions recorded in the photos."), ("使用照片位置", "使用照片中记录的 GPS/RTK 位置。")),
        b(
            "generate_blocks_exchange_xml",
            false,
            true,
            ("Export BlocksExchange XML", "Also export the aerotriangulation as BlocksExchange XML."),
            ("导出 BlocksExchange XML", "同时以 BlocksExchange XML 导出空三结果。"),
        ),
        b(
            "output_pointcloud",
            false,
            true,
            ("Point cloud", "Also produce a dense point cloud."),
            ("输出点云", "同时生成密集点云。"),
        ),
        needs(b("generate_pnts", true, true, ("PNTS tiles", "3D Tiles point cloud (.pnts)."), ("PNTS 瓦片", "3D Tiles 点云（.pnts）。")), "output_pointcloud"),
        needs(b("generate_las", false, true, ("LAS", "Point cloud as LAS."), ("LAS", "LAS 格式点云。")), "output_pointcloud"),
        needs(b("generate_point_ply", false, true, ("PLY point cloud", "Point cloud as PLY."), ("PLY 点云", "PLY 格式点云。")), "output_pointcloud"),
    ]
}

/// Every parameter a job of `kind` takes, essentials first.
pub fn schema(kind: JobKind) -> Vec<ParamSpec> {
    let mut v = Vec::new();
    match kind {
        JobKind::Map2d => {
            v.push(spec(
                "map_mode",
                choice(&[(json!(0), "Farmland", "农田"), (json!(1), "City", "城市"), (json!(2), "Orchard", "果树")]),
                json!(1),
                None,
                false,
                ("Scene", "The kind of ground surveyed: it tunes how the map is stitched."),
                ("场景", "测区的地物类型，用于优化拼接效果。"),
            ));
            v.push(quality(json!(1), false));
            v.push(output_cs());
            v.push(spec(
                "dom_tile_size",
                ParamType::Int { min: 0, max: 65536, even: true },
                json!(0),
                Some("px"),
                true,
                ("Orthomosaic tile size", "Split the orthomosaic into tiles of this many pixels (a multiple of 2); 0 keeps one file."),
                ("正射影像分块大小", "按该像素数分块（2 的倍数）；0 表示不分块。"),
            ));
            v.push(b("use_Wallis", false, true, ("Even out colours", "Wallis filter: balances brightness and colour between photos."), ("匀色", "Wallis 匀色：平衡照片间的亮度与色彩。")));
            v.push(b("use_Dehaze", false, true, ("Remove haze", "Reduce haze in the orthomosaic."), ("去雾", "减少正射影像中的雾气。")));
            v.push(b("use_gcj02", false, true, ("GCJ-02 coordinates", "Shift to the GCJ-02 system used by maps in mainland China."), ("GCJ-02 坐标", "转换为中国大陆地图使用的 GCJ-02 坐标。")));
            v.extend(photo_common());
        }
        JobKind::Model3d => {
            v.push(quality(json!(1), false));
            v.push(output_cs());
            v.push(b("output_mesh", true, false, ("Mesh model", "Produce the textured 3D mesh."), ("网格模型", "生成带纹理的三维网格。")));
            v.push(needs(b("generate_obj", true, false, ("OBJ", "Mesh as OBJ."), ("OBJ", "OBJ 格式模型。")), "output_mesh"));
            v.push(needs(b("generate_b3dm", true, false, ("B3DM (Cesium 3D Tiles)", "Mesh as 3D Tiles for web viewers."), ("B3DM（Cesium 3D Tiles）", "用于网页浏览的 3D Tiles。")), "output_mesh"));
            v.push(needs(b("generate_osgb", true, false, ("OSGB", "Mesh as OSGB tiles."), ("OSGB", "OSGB 瓦片。")), "output_mesh"));
            v.push(needs(b("generate_ply", false, true, ("PLY mesh", "Mesh as PLY."), ("PLY 模型", "PLY 格式模型。")), "output_mesh"));
            v.push(needs(b("generate_s3mb", false, true, ("S3MB", "Mesh as S3MB (SuperMap)."), ("S3MB", "S3MB 格式（超图）。")), "output_mesh"));
            v.push(needs(b("generate_i3s", false, true, ("I3S", "Mesh as I3S scene layer package (Esri)."), ("I3S", "I3S 场景图层包（Esri）。")), "output_mesh"));
            v.push(spec(
                "model_simplify",
                ParamType::Float { min: 0.05, max: 1.0 },
                json!(1.0),
                None,
                true,
                ("Mesh simplification", "Share of the mesh's triangles to keep: 1 keeps all, 0.05 keeps 5%."),
                ("模型简化", "保留的三角面比例：1 为全部保留，0.05 为保留 5%。"),
            ));
            v.push(b("water_refine", false, true, ("Refine water", "Smooth water surfaces in the model."), ("水面优化", "平滑模型中的水面。")));
            v.push(b("cut_AOI", false, true, ("Cut to the area of interest", "Keep only the model inside the area of interest."), ("按范围裁切", "只保留兴趣区域内的模型。")));
            v.extend(photo_common());
        }
        JobKind::Lidar => {
            v.push(quality(Value::Null, true));
            v.push(spec(
                "sample_distance",
                ParamType::Float { min: 0.001, max: 100.0 },
                Value::Null,
                Some("m"),
                false,
                ("Sample distance", "Keep one point per this distance. Use this or the point density, not both."),
                ("采样距离", "每隔该距离保留一个点。与点云密度二选一。"),
            ));
            v.push(output_cs());
            v.push(b("output_pointcloud", true, false, ("Point cloud", "Produce the point cloud."), ("输出点云", "生成点云。")));
            v.push(needs(b("generate_las", true, false, ("LAS", "Point cloud as LAS."), ("LAS", "LAS 格式点云。")), "output_pointcloud"));
            v.push(needs(b("generate_pnts", true, false, ("PNTS tiles", "3D Tiles point cloud (.pnts)."), ("PNTS 瓦片", "3D Tiles 点云（.pnts）。")), "output_pointcloud"));
            v.push(needs(b("generate_point_ply", false, true, ("PLY", "Point cloud as PLY."), ("PLY", "PLY 格式点云。")), "output_pointcloud"));
            v.push(needs(b("generate_pcd", false, true, ("PCD", "Point cloud as PCD."), ("PCD", "PCD 格式点云。")), "output_pointcloud"));
            v.push(needs(b("generate_point_s3mb", false, true, ("S3MB", "Point cloud as S3MB (SuperMap)."), ("S3MB", "S3MB 格式点云（超图）。")), "output_pointcloud"));
            v.push(needs(b("merge_point", true, true, ("Merge into one file", "Merge the point cloud into one file."), ("合并点云", "将点云合并为一个文件。")), "output_pointcloud"));
            v.push(b("colorize_point", true, false, ("Colour the points", "Colour points from the mission's photos."), ("点云着色", "使用任务照片为点云着色。")));
            v.push(b("generate_dem", false, false, ("DEM", "Produce a digital elevation model (needs ground extraction)."), ("DEM", "生成数字高程模型（需要地面点提取）。")));
            v.push(needs(
                spec("dem_resolution", ParamType::Float { min: 0.01, max: 100.0 }, json!(0.5), Some("m"), false, ("DEM resolution", "Ground size of one DEM cell."), ("DEM 分辨率", "DEM 单元格的地面尺寸。")),
                "generate_dem",
            ));
            v.push(b("ground_extract", false, false, ("Extract ground points", "Classify ground points (needed for a DEM)."), ("地面点提取", "分类地面点（生成 DEM 需要）。")));
            v.push(needs(
                spec(
                    "scene_type",
                    choice(&[(json!(0), "Flat", "平地"), (json!(1), "Slope", "陡坡"), (json!(2), "Gentle slope", "缓坡")]),
                    json!(0),
                    None,
                    true,
                    ("Terrain", "The terrain, for ground extraction."),
                    ("地形", "地面点提取所用的地形类型。"),
                ),
                "ground_extract",
            ));
            v.push(needs(spec("max_size_building", ParamType::Float { min: 1.0, max: 1000.0 }, json!(50.0), Some("m"), true, ("Largest building", "The largest building footprint, so roofs are not taken for ground."), ("最大建筑尺寸", "最大建筑物尺寸，避免将屋顶识别为地面。")), "ground_extract"));
            v.push(needs(spec("iter_dist", ParamType::Float { min: 0.01, max: 10.0 }, json!(0.5), Some("m"), true, ("Iteration distance", "Ground extraction's distance threshold."), ("迭代距离", "地面点提取的距离阈值。")), "ground_extract"));
            v.push(needs(spec("iter_angle", ParamType::Float { min: 0.1, max: 90.0 }, json!(10.0), Some("°"), true, ("Iteration angle", "Ground extraction's angle threshold."), ("迭代角度", "地面点提取的角度阈值。")), "ground_extract"));
            v.push(b("lpp_optimise", true, true, ("Optimise accuracy", "Optimise point cloud accuracy."), ("点云精度优化", "优化点云精度。")));
            v.push(b("refine_calibrate", false, true, ("Refine calibration", "Refine the LiDAR calibration."), ("标定优化", "优化激光雷达标定。")));
            v.push(b("smooth_point", false, true, ("Smooth points", "Smooth the point cloud."), ("点云平滑", "平滑点云。")));
            v.push(spec("lidar_point_max_distance", ParamType::Float { min: 1.0, max: 1500.0 }, json!(250.0), Some("m"), true, ("Maximum range", "Points farther than this from the scanner are dropped."), ("最大有效距离", "距离扫描仪超过此距离的点将被丢弃。")));
            v.push(spec("output_height_offset", ParamType::Float { min: -10000.0, max: 10000.0 }, json!(0.0), Some("m"), true, ("Height offset", "Added to every point's height."), ("高程偏移", "加到每个点的高程上。")));
        }
    }
    v
}

/// One field that does not validate, said next to the field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    pub key: String,
    pub message: String,
}

/// A job's parameters: the values the user set; everything else takes its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct JobParameters {
    pub kind: JobKind,
    pub values: BTreeMap<String, Value>,
}

impl JobParameters {
    pub fn new(kind: JobKind) -> Self {
        JobParameters { kind, values: BTreeMap::new() }
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.values.insert(key.into(), value);
        self
    }

    /// The value in force: set, else the default.
    pub fn get(&self, key: &str) -> Value {
        self.values.get(key).cloned().unwrap_or_else(|| schema(self.kind).into_iter().find(|s| s.key == key).map(|s| s.default).unwrap_or(Value::Null))
    }

    /// Set from text (`--param key=value`), typed by the schema.
    pub fn set_text(&mut self, key: &str, text: &str) -> Result<()> {
        let spec = schema(self.kind)
            .into_iter()
            .find(|s| s.key == key)
            .ok_or_else(|| Error::UnknownParameter { key: key.to_string(), kind: self.kind, known: known(self.kind) })?;
        let bad = |expected: &str| Error::BadParameterValue { key: key.to_string(), expected: expected.to_string(), value: text.trim().to_string() };
        let t = text.trim();
        let value = match &spec.ty {
            ParamType::Bool => match t.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => json!(true),
                "false" | "0" | "no" | "off" => json!(false),
                _ => return Err(bad("true or false")),
            },
            ParamType::Int { .. } => json!(t.parse::<i64>().map_err(|_| bad("a whole number"))?),
            ParamType::Float { .. } => json!(t.parse::<f64>().map_err(|_| bad("a number"))?),
            ParamType::Choice { choices } => choices
                .iter()
                .find(|c| c.value.to_string().trim_matches('"').eq_ignore_ascii_case(t) || c.label_en.eq_ignore_ascii_case(t))
                .map(|c| c.value.clone())
                .ok_or_else(|| bad(&format!("one of {}", choices.iter().map(|c| format!("{} ({})", c.value.to_string().trim_matches('"'), c.label_en)).collect::<Vec<_>>().join(", "))))?,
            ParamType::CoordinateSystem => {
                if t.is_empty() || t.eq_ignore_ascii_case("auto") {
                    Value::Null
                } else {
                    json!(normalise_epsg(t).ok_or_else(|| bad("an EPSG code such as EPSG:32650"))?)
                }
            }
        };
        self.values.insert(key.into(), value);
        Ok(())
    }

    /// Every problem, each against its field.
    pub fn validate(&self) -> std::result::Result<(), Vec<FieldError>> {
        let specs = schema(self.kind);
        let mut errors = Vec::new();
        for (key, value) in &self.values {
            let Some(spec) = specs.iter().find(|s| &s.key == key) else {
                errors.push(FieldError { key: key.clone(), message: format!("not a parameter of a {} job", self.kind.label()) });
                continue;
            };
            if value.is_null() {
                continue;
            }
            if let Some(m) = check(spec, value) {
                errors.push(FieldError { key: key.clone(), message: m });
            }
        }
        if self.kind == JobKind::Lidar && !self.get("quality_level").is_null() && !self.get("sample_distance").is_null() {
            errors.push(FieldError { key: "sample_distance".into(), message: "Use the point density or the sample distance, not both.".into() });
        }
        if self.kind == JobKind::Lidar && self.get("generate_dem") == json!(true) && self.get("ground_extract") != json!(true) {
            errors.push(FieldError { key: "generate_dem".into(), message: "A DEM needs ground extraction: turn on \"Extract ground points\".".into() });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The `parameters` JSON text for `POST /v2/jobs/{uuid}/start`. The result is laid out as DJI
    /// Terra desktop lays it (`pc_dir_structure`), so it can be imported.
    pub fn to_parameters_string(&self) -> Result<String> {
        self.validate().map_err(|errs| Error::ParamsInvalid { summary: errs.iter().map(|e| format!("{}: {}", e.key, e.message)).collect::<Vec<_>>().join("; ") })?;
        let mut parameter = Map::new();
        for spec in schema(self.kind) {
            let value = self.get(&spec.key);
            if value.is_null() {
                continue;
            }
            // Parameters switched off by their gate are not sent.
            if let Some(gate) = &spec.requires {
                if self.get(gate) != json!(true) {
                    continue;
                }
            }
            if spec.key == "output_cs" {
                let code = value.as_str().and_then(normalise_epsg).unwrap_or_default();
                parameter.insert(
                    "output_geo_desc".into(),
                    json!({"cs_type": "GEO_CS", "geo_cs": code, "geo_cs_wkt": "", "override_vertical_cs": ""}),
                );
                continue;
            }
            parameter.insert(spec.key.clone(), value);
        }
        let mut export = Map::new();
        export.insert("pc_dir_structure".into(), json!(true));
        let doc = json!({ "parameter": parameter, "export_parameter": export });
        Ok(serde_json::to_string(&doc).expect("JSON serialises"))
    }
}

fn known(kind: JobKind) -> String {
    schema(kind).iter().map(|s| s.key.as_str()).collect::<Vec<_>>().join(", ")
}

fn check(spec: &ParamSpec, v: &Value) -> Option<String> {
    match &spec.ty {
        ParamType::Bool => (!v.is_boolean()).then(|| "must be on or off".into()),
        ParamType::Int { min, max, even } => match v.as_i64() {
            None => Some("must be a whole number".into()),
            Some(n) if n < *min || n > *max => Some(format!("must be from {min} to {max}")),
            Some(n) if *even && n % 2 != 0 => Some("must be 0 or a multiple of 2".into()),
            _ => None,
        },
        ParamType::Float { min, max } => match v.as_f64() {
            None => Some("must be a number".into()),
            Some(x) if x < *min || x > *max => Some(format!("must be from {min} to {max}{}", spec.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default())),
            _ => None,
        },
        ParamType::Choice { choices } => (!choices.iter().any(|c| &c.value == v)).then(|| {
            format!("must be one of {}", choices.iter().map(|c| c.label_en.clone()).collect::<Vec<_>>().join(", "))
        }),
        ParamType::CoordinateSystem => match v.as_str().and_then(normalise_epsg) {
            Some(_) => None,
            None => Some("must be an EPSG code such as EPSG:32650".into()),
        },
    }
}

/// `32650`, `epsg:32650`, `EPSG: 32650` → `EPSG:32650`.
pub fn normalise_epsg(text: &str) -> Option<String> {
    let t = text.trim();
    let digits = t.strip_prefix("EPSG:").or_else(|| t.strip_prefix("epsg:")).unwrap_or(t).trim();
    let n: u32 = digits.parse().ok()?;
    (1024..=999_999).contains(&n).then(|| format!("EPSG:{n}"))
}

/// A named starting point for the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Preset {
    pub id: String,
    pub kind: JobKind,
    pub label_en: String,
    pub label_zh: String,
    pub values: BTreeMap<String, Value>,
}

pub fn presets() -> Vec<Preset> {
    let p = |id: &str, kind, en: &str, zh: &str, values: Value| Preset {
        id: id.into(),
        kind,
        label_en: en.into(),
        label_zh: zh.into(),
        values: values.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    };
    vec![
        p("2d-farmland-fast", JobKind::Map2d, "2D farmland, fast", "二维农田（快速）", json!({"map_mode": 0, "quality_level": 3})),
        p("2d-city-high", JobKind::Map2d, "2D city, high quality", "二维城市（高质量）", json!({"map_mode": 1, "quality_level": 1, "use_Wallis": true})),
        p("3d-oblique-city", JobKind::Model3d, "3D oblique city", "三维倾斜城市", json!({"quality_level": 1, "output_mesh": true, "generate_b3dm": true, "generate_osgb": true, "generate_obj": true})),
        p("3d-quick-look", JobKind::Model3d, "3D quick look", "三维快速预览", json!({"quality_level": 3, "model_simplify": 0.3, "generate_osgb": false})),
        p("lidar-dem", JobKind::Lidar, "LiDAR with DEM", "激光雷达 + DEM", json!({"ground_extract": true, "generate_dem": true, "dem_resolution": 0.5, "sample_distance": 0.05})),
        p("lidar-light", JobKind::Lidar, "LiDAR, light point cloud", "激光雷达轻量点云", json!({"quality_level": 3})),
    ]
}

pub fn preset(id: &str) -> Result<Preset> {
    presets().into_iter().find(|p| p.id == id).ok_or_else(|| {
        Error::UnknownPreset { id: id.to_string(), known: presets().iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ") }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_starts_2d_example_is_what_we_send() {
        let p = JobParameters::new(JobKind::Map2d).with("map_mode", json!(1)).with("quality_level", json!(1)).with("output_cs", json!("32650"));
        let text = p.to_parameters_string().unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["parameter"]["map_mode"], 1);
        assert_eq!(v["parameter"]["quality_level"], 1);
        assert_eq!(
            v["parameter"]["output_geo_desc"],
            json!({"cs_type": "GEO_CS", "geo_cs": "EPSG:32650", "geo_cs_wkt": "", "override_vertical_cs": ""})
        );
        assert_eq!(v["export_parameter"]["pc_dir_structure"], true);
        // Defaults are carried.
        assert_eq!(v["parameter"]["SfM_method"], "GLOBAL");
        // Gated formats are not sent while their gate is off.
        assert!(v["parameter"].get("generate_las").is_none());
    }

    #[test]
    fn defaults_exact_string_for_3d() {
        let text = JobParameters::new(JobKind::Model3d).to_parameters_string().unwrap();
        assert_eq!(
            text,
            r#"{"export_parameter":{"pc_dir_structure":true},"parameter":{"SfM_method":"GLOBAL","cut_AOI":false,"generate_b3dm":true,"generate_blocks_exchange_xml":false,"generate_i3s":false,"generate_obj":true,"generate_osgb":true,"generate_ply":false,"generate_s3mb":false,"model_simplify":1.0,"output_mesh":true,"output_pointcloud":false,"quality_level":1,"sfm_feature_quantity_level":2,"use_image_position":true,"water_refine":false}}"#
        );
    }

    #[test]
    fn validation_rules() {
        let errs = |p: JobParameters| p.validate().unwrap_err().into_iter().map(|e| e.key).collect::<Vec<_>>();
        assert_eq!(errs(JobParameters::new(JobKind::Model3d).with("model_simplify", json!(0.01))), ["model_simplify"]);
        assert!(JobParameters::new(JobKind::Model3d).with("model_simplify", json!(0.05)).validate().is_ok());
        assert_eq!(errs(JobParameters::new(JobKind::Map2d).with("dom_tile_size", json!(1023))), ["dom_tile_size"]);
        assert!(JobParameters::new(JobKind::Map2d).with("dom_tile_size", json!(1024)).validate().is_ok());
        assert_eq!(errs(JobParameters::new(JobKind::Lidar).with("quality_level", json!(1)).with("sample_distance", json!(0.2))), ["sample_distance"]);
        assert_eq!(errs(JobParameters::new(JobKind::Map2d).with("map_mode", json!(7))), ["map_mode"]);
        assert_eq!(errs(JobParameters::new(JobKind::Map2d).with("model_simplify", json!(0.5))), ["model_simplify"]);
        assert_eq!(errs(JobParameters::new(JobKind::Map2d).with("output_cs", json!("UTM 50"))), ["output_cs"]);
    }

    #[test]
    fn text_values_are_typed_by_the_schema() {
        let mut p = JobParameters::new(JobKind::Lidar);
        p.set_text("sample_distance", "0.2").unwrap();
        p.set_text("generate_las", "yes").unwrap();
        p.set_text("output_cs", "32649").unwrap();
        p.set_text("scene_type", "slope").unwrap();
        assert_eq!(p.get("sample_distance"), json!(0.2));
        assert_eq!(p.get("output_cs"), json!("EPSG:32649"));
        assert_eq!(p.get("scene_type"), json!(1));
        assert!(p.set_text("map_mode", "1").unwrap_err().to_string().contains("not a parameter"));
        assert!(p.set_text("generate_las", "maybe").is_err());
    }

    #[test]
    fn every_spec_has_help_in_both_languages_and_a_valid_default() {
        for kind in JobKind::ALL {
            for s in schema(kind) {
                assert!(!s.help_en.is_empty() && !s.help_zh.is_empty() && !s.label_zh.is_empty(), "{}", s.key);
                if !s.default.is_null() {
                    assert_eq!(check(&s, &s.default), None, "{}", s.key);
                }
            }
        }
        for p in presets() {
            let params = JobParameters { kind: p.kind, values: p.values.clone() };
            assert!(params.validate().is_ok(), "{}: {:?}", p.id, params.validate());
        }
    }
}
