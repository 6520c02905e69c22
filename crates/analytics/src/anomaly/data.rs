//! Loaders of the real end-of-line tables the evaluation draws its batches from (evaluation only: the RWTH and
//! Weng tables may not be redistributed).

use std::collections::BTreeMap;
use std::path::Path;

use super::AnomalyError;

/// What a feature measures; decides which faults move it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Capacity,
    Resistance,
    SelfDischarge,
    Mass,
    Other,
}

/// A group of real cells with complete end-of-line features.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub name: &'static str,
    pub features: Vec<(&'static str, Role)>,
    pub rows: Vec<Vec<f64>>,
}

pub(crate) fn read_table(path: &Path) -> Result<(Vec<String>, Vec<csv::StringRecord>), AnomalyError> {
    let p = path.display().to_string();
    let mut rd = csv::Reader::from_path(path).map_err(|source| AnomalyError::Csv { path: p.clone(), source })?;
    let header = rd.headers().map_err(|source| AnomalyError::Csv { path: p.clone(), source })?;
    let header: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let rows = rd.records().collect::<Result<Vec<_>, _>>().map_err(|source| AnomalyError::Csv { path: p, source })?;
    Ok((header, rows))
}

fn column(header: &[String], name: &str, file: &str) -> Result<usize, AnomalyError> {
    header.iter().position(|h| h == name).ok_or_else(|| AnomalyError::Data(format!("{file}: no column {name}")))
}

fn num(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// RWTH ISEA Sanyo UR18650E, 48 cells of one batch: the begin-of-life test (programs `TBA_BOL_P1`/`P1v2`).
/// Features: discharge capacity, 2-s and 10-s discharge pulse resistance at about −2 A, relaxed voltage after the
/// CV charge (an OCV-like value) and the CV charge capacity. The cells' weight and volume are one constant and
/// carry no information, so there is no mass feature here.
pub(crate) fn rwth(dir: &Path) -> Result<Source, AnomalyError> {
    let d = dir.join("rwth_isea_sanyo48");
    let (h, rows) = read_table(&d.join("test_sets.csv"))?;
    let f = "test_sets.csv";
    let (ts, prog, cap, ocv, cv) = (
        column(&h, "test_set", f)?,
        column(&h, "program", f)?,
        column(&h, "CapDCH1", f)?,
        column(&h, "relaxedVoltageAfterCV", f)?,
        column(&h, "CAPCVCHA1", f)?,
    );
    let mut bol: BTreeMap<String, [f64; 5]> = BTreeMap::new();
    for r in &rows {
        if !r[prog].starts_with("TBA_BOL_P1") {
            continue;
        }
        if let (Some(c), Some(o), Some(v)) = (num(&r[cap]), num(&r[ocv]), num(&r[cv])) {
            bol.insert(r[ts].to_string(), [c, f64::NAN, f64::NAN, o, v]);
        }
    }
    let (h, rows) = read_table(&d.join("pulses.csv"))?;
    let f = "pulses.csv";
    let (ts, cur, dur, res) = (
        column(&h, "test_set", f)?,
        column(&h, "current_a", f)?,
        column(&h, "duration_s", f)?,
        column(&h, "resistance_ohm", f)?,
    );
    for r in &rows {
        let Some(v) = bol.get_mut(&r[ts]) else { continue };
        let (Some(i), Some(t), Some(ohm)) = (num(&r[cur]), num(&r[dur]), num(&r[res])) else { continue };
        if (i + 2.05).abs() < 0.3 {
            if t == 2.0 {
                v[1] = ohm;
            } else if t == 10.0 {
                v[2] = ohm;
            }
        }
    }
    let rows: Vec<Vec<f64>> = bol.into_values().filter(|v| v.iter().all(|x| x.is_finite())).map(Vec::from).collect();
    if rows.len() < 20 {
        return Err(AnomalyError::Data(format!("RWTH: only {} complete begin-of-life cells", rows.len())));
    }
    Ok(Source {
        name: "rwth_sanyo_nmc18650",
        features: vec![
            ("capacity_ah", Role::Capacity),
            ("resistance_2s_ohm", Role::Resistance),
            ("resistance_10s_ohm", Role::Resistance),
            ("ocv_after_cv_v", Role::Other),
            ("cv_charge_ah", Role::Other),
        ],
        rows,
    })
}

/// Weng et al. 2021 UM pouch cells, split by formation protocol (two populations: first-cycle efficiency alone
/// separates them, so each is its own "line"). Features: final formation discharge capacity, first-cycle
/// efficiency, 6-h rest voltage decay (self-discharge proxy), 10-s resistance at 50 % and 5 % SOC at the first RPT,
/// and the electrolyte fill weight (the one mass-like value; the table's thickness is a post-ageing teardown value).
///
/// The first RPT ran at each cell's ageing temperature (`is_room_temp_aging`), so raw resistances are bimodal
/// (≈ 1.6× apart, and with different spreads); a real line measures at one temperature, so resistances are
/// robustly standardised within their temperature subgroup (median / MAD of the ~10 cells of that protocol and
/// temperature), which makes them one population again, in σ units.
pub(crate) fn weng(dir: &Path) -> Result<Vec<Source>, AnomalyError> {
    let path = dir.join("weng2021_fast_formation").join("formation_and_aging_features.csv");
    let (h, rows) = read_table(&path)?;
    let f = "formation_and_aging_features.csv";
    let spec: [(&'static str, &'static str, Role); 6] = [
        ("capacity_ah", "form_final_discharge_capacity_ah", Role::Capacity),
        ("first_cycle_efficiency", "form_first_cycle_efficiency", Role::Other),
        ("rest_voltage_decay_v", "form_6hr_rest_delta_voltage_v", Role::SelfDischarge),
        ("resistance_50soc_z", "dcr_10s_50_soc_at_c3", Role::Resistance),
        ("resistance_5soc_z", "dcr_10s_5_soc_at_c3", Role::Resistance),
        ("electrolyte_mass_g", "electrolyte_weight_g", Role::Mass),
    ];
    let cols: Vec<usize> = spec.iter().map(|(_, c, _)| column(&h, c, f)).collect::<Result<_, _>>()?;
    let proto = column(&h, "is_baseline_formation", f)?;
    let temp = column(&h, "is_room_temp_aging", f)?;
    let mut out = Vec::new();
    for (flag, name) in [(1.0, "weng_pouch_baseline_formation"), (0.0, "weng_pouch_fast_formation")] {
        let mut rows: Vec<(Option<f64>, Vec<f64>)> = rows
            .iter()
            .filter(|r| num(&r[proto]) == Some(flag))
            .map(|r| (num(&r[temp]), cols.iter().map(|&c| num(&r[c]).unwrap_or(f64::NAN)).collect::<Vec<f64>>()))
            .filter(|(t, v)| t.is_some() && v.iter().all(|x| x.is_finite()))
            .collect();
        for (j, (_, _, role)) in spec.iter().enumerate() {
            if *role != Role::Resistance {
                continue;
            }
            for t in [0.0, 1.0] {
                let col: Vec<f64> = rows.iter().filter(|r| r.0 == Some(t)).map(|r| r.1[j]).collect();
                let Some((med, sd)) = super::robust::location_scale(&col) else { continue };
                rows.iter_mut().filter(|r| r.0 == Some(t)).for_each(|r| r.1[j] = (r.1[j] - med) / sd);
            }
        }
        let rows: Vec<Vec<f64>> = rows.into_iter().map(|r| r.1).collect();
        if rows.len() <= spec.len() {
            return Err(AnomalyError::Data(format!("{name}: only {} complete cells", rows.len())));
        }
        out.push(Source { name, features: spec.iter().map(|(n, _, r)| (*n, *r)).collect(), rows });
    }
    Ok(out)
}
