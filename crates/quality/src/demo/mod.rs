//! Deterministic demo data: eight fictional suppliers of the seven catalogue materials and two years of
//! their CoAs ([`suppliers`], [`coas`]), and the benchmark's specification and CoAs ([`bench_spec`],
//! [`bench_coas`]).
//!
//! Every CoA is valid (it serializes to JSON that [`crate::ecoa::parse_json_with`] accepts with the
//! catalogue's materials) and follows the catalogue specification's units, names and methods. Results are
//! drawn from normal distributions centred inside the catalogue limits (Cpk about 1.3–2 per supplier);
//! trace impurities below their detection limit are reported as `<` values; particle size and thickness
//! are reported as replicate summaries (n/mean/min/max/stdev). About 2 % of lots are deliberately out of
//! specification (the supplier then reports `fail` on that characteristic).
//!
//! The suppliers' [`Profile`]s:
//! - [`Profile::Steady`]: capable and complete.
//! - [`Profile::Drifting`] (Hanseong Advanced Materials, NMC811): in the last year of the period (from one
//!   year before `end`; from the middle when the period is shorter than two years) its D50 rises by about
//!   1.5 µm and its moisture by about 90 ppm per year, steadily: in specification for months, but SPC signals.
//! - [`Profile::Incomplete`] (Selangor Energy Materials, LFP and graphite): about a third of its CoAs omit
//!   one or two required characteristics; it states no limits, sends no attachments and its lots often
//!   arrive late.
//!
//! Same seed, same data (the generator is ChaCha-based `StdRng` and `libm`, no platform floating point).

mod bench;
mod draw;
mod process;

pub use bench::{bench_coas, bench_spec};

use crate::ecoa::{
    Approval, Attachment, Characteristic, Coa, ECOA_VERSION, Limits, Lot, Material, Quantity, Supplier,
    SupplierIdScheme,
};
use crate::spec::{MaterialSpec, Requirement, SpecCharacteristic, catalogue};
use draw::{Draw, bounds, fake_sha256, normal};
use process::Process;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use time::{Date, Duration};

/// How a demo supplier behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Capable, complete CoAs; about 2 % of lots out of specification.
    Steady,
    /// Like `Steady` until the last year, then one or two characteristics drift steadily.
    Drifting,
    /// About a third of its CoAs omit required characteristics.
    Incomplete,
}

/// A fictional supplier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoSupplier {
    /// Catena-X BPNL: "BPNL" and 12 upper-case letters or digits.
    pub id: String,
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Catalogue material ids it supplies.
    pub materials: Vec<String>,
    pub profile: Profile,
}

/// A demo CoA and the day its lot arrived (the decision's `received_on`).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoCoa {
    pub coa: Coa,
    pub received_on: Date,
}

/// One supplier's definition.
struct SupplierDef {
    id: &'static str,
    name: &'static str,
    country: &'static str,
    profile: Profile,
    /// Prefix of its certificate and delivery-note numbers.
    code: &'static str,
    approver: &'static str,
    /// Whether its CoAs state limits (ours, or tighter where `Line::tighter` says so).
    states_limits: bool,
    lines: &'static [Line],
}

/// One material a supplier delivers.
struct Line {
    material: &'static str,
    trade_name: &'static str,
    material_number: &'static str,
    lot_prefix: &'static str,
    /// Days between lots (inclusive range).
    cadence: (i64, i64),
    /// Limits the supplier releases against that are tighter than ours: (characteristic, lower, upper).
    tighter: &'static [(&'static str, Option<f64>, Option<f64>)],
    /// Steady drift in the drift period: (characteristic, change per year in the catalogue unit).
    drift: &'static [(&'static str, f64)],
}

const fn line(
    material: &'static str,
    trade_name: &'static str,
    material_number: &'static str,
    lot_prefix: &'static str,
    cadence: (i64, i64),
) -> Line {
    Line { material, trade_name, material_number, lot_prefix, cadence, tighter: &[], drift: &[] }
}

const SUPPLIERS: &[SupplierDef] = &[
    SupplierDef {
        id: "BPNL00000007NKCM",
        name: "Nordkap Cathode Materials AS",
        country: "NO",
        profile: Profile::Steady,
        code: "NKC",
        approver: "Ingrid Solberg, Quality Manager",
        states_limits: true,
        lines: &[Line {
            tighter: &[("Moisture", None, Some(250.0))],
            ..line("NMC811", "NCM811 polycrystalline P11", "NKC-811-P11", "NK811-", (3, 5))
        }],
    },
    SupplierDef {
        id: "BPNL00000004HSAM",
        name: "Hanseong Advanced Materials Co., Ltd.",
        country: "KR",
        profile: Profile::Drifting,
        code: "HAM",
        approver: "Park Ji-woo, QA Team Leader",
        states_limits: true,
        lines: &[Line {
            drift: &[("D50", 1.5), ("Moisture", 90.0)],
            ..line("NMC811", "High-nickel NCM 811 S-grade", "HAM-N811-S", "H8S", (2, 5))
        }],
    },
    SupplierDef {
        id: "BPNL00000002QYLT",
        name: "Anhui Qingyuan Lithium Technology Co., Ltd.",
        country: "CN",
        profile: Profile::Steady,
        code: "QYL",
        approver: "Zhang Wei, QC Director",
        states_limits: true,
        lines: &[line("LFP", "LFP-C2 battery grade", "QY-LFP-C2", "QYF", (3, 5))],
    },
    SupplierDef {
        id: "BPNL00000009SLEM",
        name: "Selangor Energy Materials Sdn. Bhd.",
        country: "MY",
        profile: Profile::Incomplete,
        code: "SEM",
        approver: "Nurul Aisyah Rahman, QA Executive",
        states_limits: false,
        lines: &[
            line("LFP", "LiFePO4/C power grade", "SEM-LFP-P", "SL", (4, 8)),
            line("GRAPHITE", "Synthetic graphite SG-17", "SEM-AG-17", "SG", (4, 8)),
        ],
    },
    SupplierDef {
        id: "BPNL00000005KNCB",
        name: "Kainuu Carbon Oy",
        country: "FI",
        profile: Profile::Steady,
        code: "KC",
        approver: "Mikko Heikkinen, Quality Manager",
        states_limits: true,
        lines: &[line("GRAPHITE", "Artificial graphite KC-AG18", "KC-AG18", "KA18-", (3, 6))],
    },
    SupplierDef {
        id: "BPNL00000003RHEL",
        name: "Rheinfels Elektrolyt GmbH",
        country: "DE",
        profile: Profile::Steady,
        code: "RFE",
        approver: "Dr. Katrin Vogel, Head of Quality Assurance",
        states_limits: true,
        lines: &[Line {
            tighter: &[("Water", None, Some(15.0)), ("HF", None, Some(40.0))],
            ..line("ELECTROLYTE-LIPF6", "RF-E1037 1.0 M LiPF6 EC/EMC", "RF-E1037", "E", (3, 6))
        }],
    },
    SupplierDef {
        id: "BPNL00000008KSMB",
        name: "Kosei Membrane Co., Ltd.",
        country: "JP",
        profile: Profile::Steady,
        code: "KSM",
        approver: "Takahashi Haruto, QA Section Chief",
        states_limits: true,
        lines: &[line("SEPARATOR-PE-12", "Wet-process PE separator W12", "KM-W12", "W12-", (4, 8))],
    },
    SupplierDef {
        id: "BPNL00000006DNPF",
        name: "Danubia Precision Foils Kft.",
        country: "HU",
        profile: Profile::Steady,
        code: "DPF",
        approver: "Gábor Tóth, Quality Manager",
        states_limits: true,
        lines: &[
            line("AL-FOIL-12", "Aluminium battery foil 1235-H18 12 µm", "DPF-A12", "A12-", (5, 9)),
            line("CU-FOIL-8", "Electrodeposited copper foil 8 µm", "DPF-C08", "C08-", (5, 9)),
        ],
    },
];

/// The demo suppliers, covering every catalogue material (two each for NMC811, LFP and graphite).
pub fn suppliers() -> Vec<DemoSupplier> {
    SUPPLIERS
        .iter()
        .map(|d| DemoSupplier {
            id: d.id.to_owned(),
            name: d.name.to_owned(),
            country: d.country.to_owned(),
            materials: d.lines.iter().map(|l| l.material.to_owned()).collect(),
            profile: d.profile,
        })
        .collect()
}

/// `years` years of lots received up to `end` (inclusive) for every supplier × material, ordered by
/// `received_on` (then supplier and lot); deterministic for a seed. Lots are manufactured every 2–9 days
/// (by supplier) from `end` minus 365 × `years` days on and arrive 1–30 days later (mostly within a week);
/// lots that would arrive after `end` are left out. Two years are about 1,470 CoAs.
pub fn coas(end: Date, years: u32, seed: u64) -> Vec<DemoCoa> {
    let start = end - Duration::days(365 * i64::from(years));
    let drift_start = if years >= 2 { end - Duration::days(365) } else { start + (end - start) / 2 };
    let period = Period { start, end, drift_start };
    let specs = catalogue();
    let mut out = Vec::new();
    let mut line_no = 0u64;
    for def in SUPPLIERS {
        for (k, line) in def.lines.iter().enumerate() {
            let spec = specs.iter().find(|s| s.material == line.material).expect("a catalogue material");
            line_no += 1;
            let rng = StdRng::seed_from_u64(mix(seed, line_no));
            LineGen::new(def, k, line, spec, rng).run(&period, &mut out);
        }
    }
    out.sort_by(|a, b| {
        (a.received_on, &a.coa.supplier.id, &a.coa.lot.number).cmp(&(
            b.received_on,
            &b.coa.supplier.id,
            &b.coa.lot.number,
        ))
    });
    out
}

/// Mixes a seed with a stream number (SplitMix64 finaliser), so streams are independent.
pub(super) fn mix(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Period {
    start: Date,
    end: Date,
    drift_start: Date,
}

/// A characteristic as one supplier runs it.
struct Run<'a> {
    spec: &'a SpecCharacteristic,
    process: &'static Process,
    mean: f64,
    sd: f64,
    limits: Option<Limits>,
    /// Change per year during the drift period.
    drift: f64,
}

/// Generates the lots of one supplier × material.
struct LineGen<'a> {
    def: &'static SupplierDef,
    /// Index of the line within the supplier (certificate numbers stay unique per supplier).
    k: usize,
    line: &'static Line,
    runs: Vec<Run<'a>>,
    rng: StdRng,
}

impl<'a> LineGen<'a> {
    fn new(def: &'static SupplierDef, k: usize, line: &'static Line, spec: &'a MaterialSpec, mut rng: StdRng) -> Self {
        let table = process::processes(line.material);
        let mut runs = Vec::new();
        for c in &spec.characteristics {
            let process = process::find(table, &c.name).expect("every catalogue characteristic has a demo process");
            // Drawn for every characteristic so the stream does not depend on which are reported.
            let reports = rng.random_bool(0.6);
            let offset = rng.random_range(-0.3..0.3);
            let spread = rng.random_range(0.85..1.1);
            if c.requirement == Requirement::Optional && !reports {
                continue;
            }
            let limits = def.states_limits.then(|| {
                let mut l = Limits { lower: c.lsl, upper: c.usl, target: c.target };
                if let Some((_, lower, upper)) = line.tighter.iter().find(|t| t.0 == c.name) {
                    l.lower = lower.or(l.lower);
                    l.upper = upper.or(l.upper);
                }
                l
            });
            let drift = line.drift.iter().find(|d| d.0 == c.name).map_or(0.0, |d| d.1);
            runs.push(Run {
                spec: c,
                process,
                mean: process.mean + offset * process.sd,
                sd: process.sd * spread,
                limits,
                drift,
            });
        }
        LineGen { def, k, line, runs, rng }
    }

    fn run(mut self, period: &Period, out: &mut Vec<DemoCoa>) {
        let (lo, hi) = self.line.cadence;
        let mut manufactured = period.start + Duration::days(self.rng.random_range(0..hi));
        let mut seq: u32 = self.rng.random_range(100..900);
        let mut delivery_note: u32 = self.rng.random_range(1_000..9_000);
        while manufactured <= period.end {
            let received = manufactured + Duration::days(self.delay());
            if received <= period.end {
                let coa = self.lot(manufactured, received, period, seq, delivery_note);
                out.push(DemoCoa { coa, received_on: received });
                delivery_note += 1;
            }
            seq += 1;
            manufactured += Duration::days(self.rng.random_range(lo..=hi));
        }
    }

    /// Days from manufacture to arrival: mostly within a week.
    fn delay(&mut self) -> i64 {
        let late = if self.def.profile == Profile::Incomplete { 0.3 } else { 0.05 };
        if self.rng.random_bool(late) { self.rng.random_range(8..=30) } else { self.rng.random_range(1..=7) }
    }

    fn lot(&mut self, manufactured: Date, received: Date, period: &Period, seq: u32, delivery_note: u32) -> Coa {
        let def = self.def;
        let line = self.line;
        let rng = &mut self.rng;
        let year = manufactured.year();
        let yy = year.rem_euclid(100);
        let month = u8::from(manufactured.month());
        let logistics = process::logistics(line.material);
        let issued = (manufactured + Duration::days(rng.random_range(0..=2))).min(received);
        let steps = (logistics.max - logistics.min) / logistics.step;
        let quantity = logistics.min + logistics.step * rng.random_range(0..=steps);
        let quarter = (month - 1) / 3 + 1;
        let drift_years = (manufactured - period.drift_start).whole_days().max(0) as f64 / 365.0;

        // Which required characteristics an incomplete CoA leaves out.
        let required: Vec<usize> =
            (0..self.runs.len()).filter(|&i| self.runs[i].spec.requirement == Requirement::Required).collect();
        let mut omitted = Vec::new();
        if def.profile == Profile::Incomplete && rng.random_bool(1.0 / 3.0) {
            let how_many = if rng.random_bool(0.7) { 1 } else { 2 };
            while omitted.len() < how_many.min(required.len()) {
                let i = required[rng.random_range(0..required.len())];
                if !omitted.contains(&i) {
                    omitted.push(i);
                }
            }
        }
        // A genuinely nonconforming lot now and then.
        let mut beyond = None;
        if rng.random_bool(0.02) {
            let candidates: Vec<usize> = (0..self.runs.len()).filter(|i| !omitted.contains(i)).collect();
            let i = candidates[rng.random_range(0..candidates.len())];
            let sides = bounds(self.runs[i].spec);
            if !sides.is_empty() {
                beyond = Some((i, sides[rng.random_range(0..sides.len())]));
            }
        }
        let mut characteristics: Vec<Characteristic> = Vec::with_capacity(self.runs.len());
        for (i, run) in self.runs.iter().enumerate() {
            if omitted.contains(&i) {
                continue;
            }
            let value = normal(rng, run.mean + run.drift * drift_years, run.sd);
            let draw = Draw {
                spec: run.spec,
                process: run.process,
                value,
                beyond: beyond.filter(|b| b.0 == i).map(|b| b.1),
                limits: run.limits,
            };
            characteristics.push(draw.characteristic(rng));
        }

        let document_id = format!("{}-{year}-{}{seq:04}", def.code, self.k + 1);
        let sha = fake_sha256(rng);
        let attachments = if def.profile == Profile::Incomplete {
            Vec::new()
        } else {
            vec![Attachment {
                name: format!("{document_id}.pdf"),
                sha256: sha.clone(),
                media_type: Some("application/pdf".into()),
            }]
        };
        Coa {
            ecoa_version: ECOA_VERSION.to_owned(),
            document_id,
            issued_on: Some(issued),
            supplier: Supplier { id: def.id.to_owned(), id_scheme: SupplierIdScheme::Bpn, name: def.name.to_owned() },
            material: Material {
                id: line.material.to_owned(),
                name: Some(line.trade_name.to_owned()),
                supplier_material_number: Some(line.material_number.to_owned()),
            },
            lot: Lot {
                number: format!("{}{yy:02}{month:02}-{seq:04}", line.lot_prefix),
                quantity: Some(Quantity { value: f64::from(quantity), unit: logistics.unit.to_owned() }),
                manufactured_on: manufactured,
                expires_on: Some(manufactured + Duration::days(logistics.shelf_life_days)),
            },
            purchase_order: Some(format!("45{:02}{yy:02}{quarter}{:03}", 10 + self.line_index(), 100 + self.k)),
            delivery_note: Some(format!("{}-DN-{}{delivery_note:05}", def.code, self.k + 1)),
            characteristics,
            approval: Approval {
                approved_by: def.approver.to_owned(),
                approved_on: Some(issued),
                signature: None,
                document_sha256: Some(sha),
            },
            attachments,
        }
    }

    /// A stable two-digit number of this supplier × material (for purchase orders).
    fn line_index(&self) -> usize {
        let before: usize = SUPPLIERS.iter().take_while(|d| d.id != self.def.id).map(|d| d.lines.len()).sum();
        before + self.k
    }
}
