//! The Terra layout (terra-api.md §6): which folder of a downloaded result is its root, where
//! each file goes in the ZIP, and what the result lacks.

use crate::jobs::JobKind;

/// Where each downloaded file goes in the ZIP: the folder that holds the Terra layout becomes the
/// root. Returns (source relative path, entry name) pairs and what moved.
pub fn plan_layout(kind: JobKind, files: &[String]) -> (Vec<(String, String)>, Vec<(String, String)>, Vec<String>) {
    let layout = kind.terra_layout();
    // Candidate roots: "" and every folder; the one with the most layout entries wins.
    let mut best = (String::new(), 0usize);
    let mut roots: Vec<String> = vec![String::new()];
    for f in files {
        let mut acc = String::new();
        let parts: Vec<&str> = f.split('/').collect();
        for p in &parts[..parts.len().saturating_sub(1)] {
            acc.push_str(p);
            acc.push('/');
            roots.push(acc.clone());
        }
    }
    roots.sort();
    roots.dedup();
    for r in &roots {
        let score = layout
            .iter()
            .filter(|l| files.iter().any(|f| f.strip_prefix(r.as_str()).is_some_and(|rest| rest == **l || rest.starts_with(&format!("{l}/")))))
            .count();
        if score > best.1 || (score == best.1 && r.len() < best.0.len()) {
            best = (r.clone(), score);
        }
    }
    let root = best.0;
    let mut plan = Vec::new();
    let mut moved = Vec::new();
    for f in files {
        let entry = match f.strip_prefix(root.as_str()) {
            Some(rest) => rest.to_string(),
            // Outside the result's root: kept, beside the layout, under its own path.
            None => f.clone(),
        };
        if entry != *f {
            moved.push((f.clone(), entry.clone()));
        }
        plan.push((f.clone(), entry));
    }
    let missing = layout
        .iter()
        .filter(|l| !plan.iter().any(|(_, e)| e == *l || e.starts_with(&format!("{l}/"))))
        .map(|l| l.to_string())
        .collect();
    (plan, moved, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_under_one_root_folder_is_lifted_to_the_top() {
        let files: Vec<String> = ["job-42/AT/a.json", "job-42/map/result.tif", "job-42/mission.json", "job-42/images/x.txt"].iter().map(|s| s.to_string()).collect();
        let (plan, moved, missing) = plan_layout(JobKind::Map2d, &files);
        assert_eq!(plan[1].1, "map/result.tif");
        assert_eq!(moved.len(), 4);
        assert!(missing.is_empty());
    }

    #[test]
    fn missing_layout_entries_are_reported() {
        let files = vec!["lidars/a.las".to_string()];
        let (_, _, missing) = plan_layout(JobKind::Lidar, &files);
        assert_eq!(missing, ["AT", "mission.json"]);
    }
}
