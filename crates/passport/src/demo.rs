//! Realistic demo data: three battery models and as many item passports as asked, deterministic per seed.
//!
//! Each document is a full canonical passport (the seven Battery Pass v1.2 members, without the server-assigned
//! `batteryPassportIdentifier`). Everything that describes the battery *model* (chemistry, ratings, carbon
//! footprint, materials, documents, ...) is fixed per [`DemoModel`]; only the item-level values vary per battery:
//! the product identifier (from the serial number), the economic operator, the manufacturing and
//! putting-into-service dates, the status, the extinguishing agents and the whole `performance/batteryCondition`.
//!
//! The dynamic values are derived from the battery's age so they stay consistent with each other: full cycles
//! follow the months in service, throughput follows cycles × capacity, capacity and energy fade follow calendar
//! ageing plus cycling, and every timestamp lies between the manufacturing date and [`REFERENCE_DATE`].
//!
//! Names, addresses, e-mail addresses and web links are fictitious (`.example` domains).

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The demo data's "today": no generated date lies after it.
pub const REFERENCE_DATE: OffsetDateTime = datetime!(2026-11-01 00:00 UTC);

/// The three demo battery models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoModel {
    /// Electric-vehicle traction pack, NMC811 pouch cells, 96s2p, 75.7 kWh.
    EvNmc811Pack,
    /// Light-means-of-transport battery (e-bike / e-scooter), LFP, 15s1p, 48 V 15 Ah.
    LmtLfp,
    /// Residential stationary storage, LFP prismatic cells, 16s1p, 51.2 V 280 Ah.
    StationaryLfp,
}

impl DemoModel {
    pub const ALL: [DemoModel; 3] = [DemoModel::EvNmc811Pack, DemoModel::LmtLfp, DemoModel::StationaryLfp];

    /// The manufacturer's model identification.
    pub fn model_id(self) -> &'static str {
        match self {
            DemoModel::EvNmc811Pack => "VOLTA-EV-NMC811-P96",
            DemoModel::LmtLfp => "VOLTA-LMT-LFP-48V15",
            DemoModel::StationaryLfp => "VOLTA-ESS-LFP-51V280",
        }
    }

    /// The value of `generalProductInformation/batteryCategory`.
    pub fn category(self) -> &'static str {
        match self {
            DemoModel::EvNmc811Pack => "ev",
            DemoModel::LmtLfp => "lmt",
            DemoModel::StationaryLfp => "stationary",
        }
    }

    fn spec(self) -> &'static Spec {
        match self {
            DemoModel::EvNmc811Pack => &EV,
            DemoModel::LmtLfp => &LMT,
            DemoModel::StationaryLfp => &STATIONARY,
        }
    }
}

/// A full canonical document (all seven members, no batteryPassportIdentifier) for one battery of `model`.
/// Model-level values depend only on `model`; only per-battery values vary with `serial` and `rng`.
pub fn passport(model: DemoModel, serial: u64, rng: &mut impl Rng) -> Value {
    let spec = model.spec();
    let mut doc = model_document(spec);

    // Dates: manufactured between January 2025 and September 2026, put into service a few days to a few
    // weeks later, last telemetry update shortly before the reference date.
    let earliest = datetime!(2025-01-06 06:00 UTC).unix_timestamp();
    let latest = datetime!(2026-10-01 00:00 UTC).unix_timestamp();
    let manufactured = at(rng.random_range(earliest..latest) / 60 * 60);
    let cap = REFERENCE_DATE - Duration::days(2);
    let mut in_service =
        manufactured + Duration::days(rng.random_range(4..=75)) + Duration::minutes(rng.random_range(0..24 * 60));
    if in_service > cap {
        in_service = manufactured + (cap - manufactured) / 2;
    }
    let in_service = at(in_service.unix_timestamp() / 60 * 60);
    let last_update =
        at((in_service + (REFERENCE_DATE - in_service) * rng.random_range(0.8f64..0.999)).unix_timestamp());

    let operator = &spec.operators[usize::from(rng.random_bool(1.0 - spec.main_operator_share))];
    let gpi = &mut doc["generalProductInformation"];
    gpi["productIdentifier"] = json!((spec.product_identifier)(serial));
    gpi["operatorInformation"] = operator.contact();
    gpi["manufacturingDate"] = json!(stamp(manufactured));
    gpi["puttingIntoService"] = json!(stamp(in_service));
    gpi["batteryStatus"] = json!("Original");

    doc["circularity"]["safetyMeasures"]["extinguishingAgent"] = json!(spec.extinguishing_agents);
    doc["performance"]["batteryCondition"] = battery_condition(spec, in_service, last_update, rng);
    tidy_numbers(&mut doc);
    doc
}

/// `count` documents cycling over the three models, deterministic for a given seed.
///
/// Serial numbers start at a seed-dependent offset, so documents from different seeds rarely share a product
/// identifier; within one call they never do.
pub fn passports(count: usize, seed: u64) -> impl Iterator<Item = Value> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let first_serial = 1 + (splitmix64(seed) % 9_000) * 100_000;
    (0..count).map(move |i| {
        let model = DemoModel::ALL[i % DemoModel::ALL.len()];
        passport(model, first_serial + (i / DemoModel::ALL.len()) as u64, &mut rng)
    })
}

// ---------------------------------------------------------------------------------------------------------
// Model data
// ---------------------------------------------------------------------------------------------------------

struct Org {
    name: &'static str,
    street: &'static str,
    postal_code: &'static str,
    country: &'static str,
    identifier: &'static str,
    email: &'static str,
    web: &'static str,
}

impl Org {
    fn address(&self) -> Value {
        json!({"addressCountry": self.country, "postalCode": self.postal_code, "streetAddress": self.street})
    }

    fn contact(&self) -> Value {
        json!({
            "contactName": self.name,
            "postalAddress": self.address(),
            "identifier": self.identifier,
            "emailAddress": self.email,
            "webAddress": self.web,
        })
    }
}

/// (component name, component id, material name, CAS number, mass in kg, critical raw material)
type Material = (&'static str, &'static str, &'static str, &'static str, f64, bool);

/// (class, name, CAS number, concentration in % of the component, impact statements, component name)
type Hazard = (&'static str, &'static str, &'static str, f64, &'static [&'static str], &'static str);

/// (supplier, e-mail, web, address (street, postal code, country), parts (name, part number))
type SpareParts = (
    &'static str,
    &'static str,
    &'static str,
    (&'static str, &'static str, &'static str),
    &'static [(&'static str, &'static str)],
);

struct Spec {
    model: DemoModel,
    /// Short code used in document paths and the declaration of conformity number.
    code: &'static str,
    product_identifier: fn(u64) -> String,
    manufacturer: Org,
    /// Economic operators placing the battery on the market; the first is the usual one.
    operators: [Org; 2],
    main_operator_share: f64,
    plant: &'static str,
    plant_address: (&'static str, &'static str, &'static str),
    mass: f64,
    warranty: &'static str,
    chemistry: (&'static str, &'static str),
    // Electrical ratings.
    nominal_voltage: f64,
    minimum_voltage: f64,
    maximum_voltage: f64,
    rated_capacity: f64,
    rated_maximum_power: f64,
    power_at_80: f64,
    power_at_20: f64,
    expected_cycles: u32,
    expected_lifetime: u32,
    initial_self_discharge: f64,
    roundtrip_efficiency: f64,
    roundtrip_efficiency_50: f64,
    power_fade: f64,
    initial_resistance: &'static [(&'static str, f64)],
    capacity_threshold: f64,
    c_rate_life_cycle_test: f64,
    idle_temperature: (f64, f64),
    // Carbon footprint: kg CO2e per kWh, stage shares in % (RawMaterialExtraction, MainProduction,
    // Distribution, Recycling), performance class.
    carbon_footprint: f64,
    carbon_shares: [f64; 4],
    carbon_class: &'static str,
    supply_chain_index: f64,
    materials: &'static [Material],
    hazards: &'static [Hazard],
    /// (material, pre-consumer %, post-consumer %)
    recycled: &'static [(&'static str, f64, f64)],
    renewable_content: f64,
    spare_parts: &'static [SpareParts],
    extinguishing_agents: &'static [&'static str],
    // Item-level behaviour.
    cycles_per_year: (f64, f64),
    calendar_fade_per_year: f64,
    fade_per_cycle: f64,
    in_use_soc: (f64, f64),
    negative_events: &'static [&'static str],
}

impl Spec {
    /// Rated energy in kWh, rounded as printed on the label.
    fn rated_energy(&self) -> f64 {
        let decimals = if self.rated_capacity * self.nominal_voltage < 10_000.0 { 3 } else { 2 };
        round(self.rated_capacity * self.nominal_voltage / 1000.0, decimals)
    }

    fn docs_base(&self) -> String {
        format!("https://docs.volta-cells.example/passport/{}", self.model.model_id().to_lowercase())
    }
}

const LIPF6: Hazard = (
    "AcuteToxicity",
    "Lithium hexafluorophosphate (LiPF6)",
    "21324-40-3",
    12.5,
    &[
        "H301: Toxic if swallowed",
        "H314: Causes severe skin burns and eye damage",
        "H372: Causes damage to organs (bone, teeth) through prolonged or repeated exposure",
    ],
    "Electrolyte",
);

const fn ethylene_carbonate(concentration: f64) -> Hazard {
    (
        "EyeDamageOrIrritation",
        "Ethylene carbonate",
        "96-49-1",
        concentration,
        &[
            "H302: Harmful if swallowed",
            "H319: Causes serious eye irritation",
            "H373: May cause damage to organs (kidney) through prolonged or repeated exposure",
        ],
        "Electrolyte",
    )
}

const VOLTA_CELLS: Org = Org {
    name: "Volta Cells GmbH",
    street: "Industriestraße 12, Salzgitter",
    postal_code: "38239",
    country: "DE",
    identifier: "DE739104620000001",
    email: "quality@volta-cells.example",
    web: "https://www.volta-cells.example",
};

static EV: Spec = Spec {
    model: DemoModel::EvNmc811Pack,
    code: "EV96",
    product_identifier: |serial| format!("(01)04260712341013(21)P96-{serial:09}"),
    manufacturer: VOLTA_CELLS,
    operators: [
        Org {
            name: "Nordwind Automotive AG",
            street: "Am Werk 1, Stuttgart",
            postal_code: "70435",
            country: "DE",
            identifier: "DE481203377000002",
            email: "battery-compliance@nordwind-auto.example",
            web: "https://www.nordwind-auto.example",
        },
        VOLTA_CELLS,
    ],
    main_operator_share: 0.85,
    plant: "Volta Cells pack assembly plant Salzgitter",
    plant_address: ("Industriestraße 12, Halle 4, Salzgitter", "38239", "DE"),
    mass: 485.0,
    warranty: "--08",
    chemistry: (
        "NMC811",
        "Lithium nickel manganese cobalt oxide (Ni:Mn:Co 8:1:1) cathode, graphite anode, LiPF6 in organic carbonate electrolyte",
    ),
    nominal_voltage: 350.4,
    minimum_voltage: 268.8,
    maximum_voltage: 403.2,
    rated_capacity: 216.0,
    rated_maximum_power: 250_000.0,
    power_at_80: 245_000.0,
    power_at_20: 168_000.0,
    expected_cycles: 2000,
    expected_lifetime: 12,
    initial_self_discharge: 2.0,
    roundtrip_efficiency: 95.5,
    roundtrip_efficiency_50: 93.8,
    power_fade: 8.0,
    initial_resistance: &[("pack", 0.072), ("module", 0.0072), ("cell", 0.0011)],
    capacity_threshold: 75.0,
    c_rate_life_cycle_test: 0.33,
    idle_temperature: (-25.0, 55.0),
    carbon_footprint: 72.4,
    carbon_shares: [68.0, 27.0, 3.0, 2.0],
    carbon_class: "B",
    supply_chain_index: 78.0,
    materials: &[
        ("Cathode", "CAM-NMC811", "Nickel (in NMC811 cathode active material)", "7440-02-0", 49.2, true),
        ("Cathode", "CAM-NMC811", "Cobalt (in NMC811 cathode active material)", "7440-48-4", 6.1, true),
        ("Cathode", "CAM-NMC811", "Manganese (in NMC811 cathode active material)", "7439-96-5", 5.7, true),
        ("Cathode", "CAM-NMC811", "Lithium (in NMC811 cathode active material)", "7439-93-2", 7.3, true),
        ("Cathode", "CC-AL-15", "Aluminium (cathode current collector foil)", "7429-90-5", 6.8, true),
        ("Cathode", "BND-PVDF", "Polyvinylidene fluoride (PVDF binder)", "24937-79-9", 3.0, false),
        ("Anode", "AAM-GR", "Graphite (natural/synthetic blend)", "7782-42-5", 72.0, true),
        ("Anode", "CC-CU-08", "Copper (anode current collector foil)", "7440-50-8", 18.5, true),
        ("Electrolyte", "EL-LP57", "Lithium hexafluorophosphate (LiPF6)", "21324-40-3", 1.5, true),
        ("Electrolyte", "EL-LP57", "Ethylene carbonate", "96-49-1", 3.6, false),
        ("Electrolyte", "EL-LP57", "Dimethyl carbonate", "616-38-6", 3.8, false),
        ("Electrolyte", "EL-LP57", "Ethyl methyl carbonate", "623-53-0", 3.1, false),
        ("Separator", "SEP-PE-12", "Polyethylene (separator)", "9002-88-4", 4.2, false),
        ("Housing", "HSG-P96", "Aluminium (pack housing and module frames)", "7429-90-5", 96.0, true),
        ("Busbars", "BB-P96", "Copper (busbars and high-voltage harness)", "7440-50-8", 12.5, true),
        ("Housing", "HSG-P96", "Iron (steel crash frame and fasteners)", "7439-89-6", 31.0, false),
    ],
    hazards: &[
        LIPF6,
        ethylene_carbonate(30.0),
        (
            "SkinCorrosionOrIrritation",
            "Lithium nickel manganese cobalt oxide (NMC811)",
            "346417-97-8",
            88.0,
            &[
                "H315: Causes skin irritation",
                "H317: May cause an allergic skin reaction",
                "H350i: May cause cancer by inhalation",
                "H372: Causes damage to organs (lungs) through prolonged or repeated exposure by inhalation",
            ],
            "Cathode",
        ),
    ],
    recycled: &[("Cobalt", 4.0, 12.0), ("Lithium", 2.0, 6.0), ("Nickel", 3.0, 7.0)],
    renewable_content: 3.5,
    spare_parts: &[(
        "Volta Cells Service GmbH",
        "spareparts@volta-cells.example",
        "https://service.volta-cells.example",
        ("Ersatzteilweg 3, Braunschweig", "38112", "DE"),
        &[
            ("Battery management system master board", "VLT-BMS-P96-M01"),
            ("Cell supervision circuit board (module slave)", "VLT-CSC-12S-02"),
            ("Battery module 12s2p", "VLT-MOD-12S2P-811"),
            ("High-voltage main contactor", "VLT-HVC-400-450A"),
            ("Pyrotechnic safety fuse", "VLT-PYF-400-01"),
            ("Lid gasket", "VLT-GSK-P96-LID"),
        ],
    )],
    extinguishing_agents: &["Water (large quantities, for cooling)", "ABC dry powder (fire class A, B, C)"],
    cycles_per_year: (55.0, 110.0),
    calendar_fade_per_year: 1.1,
    fade_per_cycle: 0.007,
    in_use_soc: (20.0, 90.0),
    negative_events: &[
        "Deep discharge: a cell voltage below 2.5 V for 40 min after a 6-week standstill",
        "Crash sensor triggered, pyrotechnic fuse disconnected the pack; inspection passed",
        "Coolant leak in the vehicle circuit detected; no ingress into the pack",
    ],
};

static LMT: Spec = Spec {
    model: DemoModel::LmtLfp,
    code: "LMT48",
    product_identifier: |serial| format!("VOLTA-LMT48-{serial:09}"),
    manufacturer: Org {
        name: "Volta Cells Polska sp. z o.o.",
        street: "ul. Fabryczna 7, Kobierzyce",
        postal_code: "55-040",
        country: "PL",
        identifier: "PL8971234567000",
        email: "quality.pl@volta-cells.example",
        web: "https://www.volta-cells.example/pl",
    },
    operators: [
        Org {
            name: "Velocita Bikes B.V.",
            street: "Fietsstraat 21, Utrecht",
            postal_code: "3521 AB",
            country: "NL",
            identifier: "NL812345678",
            email: "compliance@velocita-bikes.example",
            web: "https://www.velocita-bikes.example",
        },
        Org {
            name: "Urbanroll Scooters GmbH",
            street: "Mariahilfer Straße 88, Wien",
            postal_code: "1070",
            country: "AT",
            identifier: "ATEOS1000012345",
            email: "service@urbanroll.example",
            web: "https://www.urbanroll.example",
        },
    ],
    main_operator_share: 0.65,
    plant: "Volta Cells LMT battery plant Kobierzyce",
    plant_address: ("ul. Fabryczna 7, Kobierzyce", "55-040", "PL"),
    mass: 6.2,
    warranty: "--02",
    chemistry: ("LFP", "Lithium iron phosphate cathode, graphite anode, LiPF6 in organic carbonate electrolyte"),
    nominal_voltage: 48.0,
    minimum_voltage: 37.5,
    maximum_voltage: 54.75,
    rated_capacity: 15.0,
    rated_maximum_power: 1440.0,
    power_at_80: 1400.0,
    power_at_20: 1150.0,
    expected_cycles: 2000,
    expected_lifetime: 8,
    initial_self_discharge: 1.5,
    roundtrip_efficiency: 94.0,
    roundtrip_efficiency_50: 92.0,
    power_fade: 6.0,
    initial_resistance: &[("pack", 0.048), ("cell", 0.0018)],
    capacity_threshold: 70.0,
    c_rate_life_cycle_test: 0.5,
    idle_temperature: (-20.0, 45.0),
    carbon_footprint: 61.5,
    carbon_shares: [62.0, 31.0, 5.0, 2.0],
    carbon_class: "B",
    supply_chain_index: 71.0,
    materials: &[
        ("Cathode", "CAM-LFP", "Lithium iron phosphate (LFP cathode active material)", "15365-14-7", 1.52, true),
        ("Cathode", "CC-AL-15", "Aluminium (cathode current collector foil)", "7429-90-5", 0.18, true),
        ("Cathode", "BND-PVDF", "Polyvinylidene fluoride (PVDF binder)", "24937-79-9", 0.05, false),
        ("Anode", "AAM-GR", "Graphite (synthetic)", "7782-42-5", 0.68, true),
        ("Anode", "CC-CU-08", "Copper (anode current collector foil)", "7440-50-8", 0.42, true),
        ("Electrolyte", "EL-LP30", "Lithium hexafluorophosphate (LiPF6)", "21324-40-3", 0.07, true),
        ("Electrolyte", "EL-LP30", "Ethylene carbonate", "96-49-1", 0.17, false),
        ("Electrolyte", "EL-LP30", "Dimethyl carbonate", "616-38-6", 0.16, false),
        ("Electrolyte", "EL-LP30", "Ethyl methyl carbonate", "623-53-0", 0.16, false),
        ("Separator", "SEP-PE-16", "Polyethylene (separator)", "9002-88-4", 0.09, false),
        ("Housing", "HSG-L48", "Aluminium (extruded battery housing)", "7429-90-5", 0.85, true),
        ("Busbars", "BB-L48", "Copper (cell connectors and wiring)", "7440-50-8", 0.12, true),
    ],
    hazards: &[LIPF6, ethylene_carbonate(30.4)],
    recycled: &[("Lithium", 1.5, 4.0)],
    renewable_content: 2.0,
    spare_parts: &[
        (
            "Volta Cells Polska sp. z o.o.",
            "spareparts.pl@volta-cells.example",
            "https://service.volta-cells.example/pl",
            ("ul. Fabryczna 7, Kobierzyce", "55-040", "PL"),
            &[
                ("Battery management system board 15s", "VLT-BMS-L48-15S"),
                ("Discharge connector with cable", "VLT-CON-L48-XT60"),
                ("Housing end cap with seal", "VLT-CAP-L48-02"),
            ],
        ),
        (
            "Velocita Bikes B.V.",
            "parts@velocita-bikes.example",
            "https://parts.velocita-bikes.example",
            ("Fietsstraat 21, Utrecht", "3521 AB", "NL"),
            &[("Battery lock and key set", "VB-LCK-2026"), ("Charger 54.6 V 4 A", "VB-CHG-546-4A")],
        ),
    ],
    extinguishing_agents: &["Water (large quantities, for cooling)", "Foam (fire class A, B)"],
    cycles_per_year: (80.0, 200.0),
    calendar_fade_per_year: 0.9,
    fade_per_cycle: 0.004,
    in_use_soc: (15.0, 95.0),
    negative_events: &[
        "Deep discharge: pack voltage below 37.5 V after winter storage; BMS locked charging until service reset",
        "Drop from bike carrier; housing scratched, insulation test passed",
    ],
};

static STATIONARY: Spec = Spec {
    model: DemoModel::StationaryLfp,
    code: "ESS280",
    product_identifier: |serial| format!("(01)04260712343031(21)ESS280-{serial:09}"),
    manufacturer: Org {
        name: "Volta Energy Storage GmbH",
        street: "Energiepark 3, Dresden",
        postal_code: "01109",
        country: "DE",
        identifier: "DE552810937000003",
        email: "quality@volta-storage.example",
        web: "https://www.volta-storage.example",
    },
    operators: [
        Org {
            name: "Volta Energy Storage GmbH",
            street: "Energiepark 3, Dresden",
            postal_code: "01109",
            country: "DE",
            identifier: "DE552810937000003",
            email: "quality@volta-storage.example",
            web: "https://www.volta-storage.example",
        },
        Org {
            name: "Sonnenhaus Energie GmbH",
            street: "Solarweg 5, Freiburg im Breisgau",
            postal_code: "79108",
            country: "DE",
            identifier: "DE318877402000004",
            email: "service@sonnenhaus-energie.example",
            web: "https://www.sonnenhaus-energie.example",
        },
    ],
    main_operator_share: 0.7,
    plant: "Volta Energy Storage plant Dresden",
    plant_address: ("Energiepark 3, Dresden", "01109", "DE"),
    mass: 118.0,
    warranty: "--10",
    chemistry: ("LFP", "Lithium iron phosphate cathode, graphite anode, LiPF6 in organic carbonate electrolyte"),
    nominal_voltage: 51.2,
    minimum_voltage: 40.0,
    maximum_voltage: 58.4,
    rated_capacity: 280.0,
    rated_maximum_power: 16_000.0,
    power_at_80: 15_500.0,
    power_at_20: 13_800.0,
    expected_cycles: 6000,
    expected_lifetime: 15,
    initial_self_discharge: 1.2,
    roundtrip_efficiency: 96.0,
    roundtrip_efficiency_50: 94.5,
    power_fade: 4.0,
    initial_resistance: &[("pack", 0.012), ("cell", 0.0006)],
    capacity_threshold: 70.0,
    c_rate_life_cycle_test: 0.5,
    idle_temperature: (-20.0, 50.0),
    carbon_footprint: 58.6,
    carbon_shares: [64.0, 30.0, 4.0, 2.0],
    carbon_class: "A",
    supply_chain_index: 82.0,
    materials: &[
        ("Cathode", "CAM-LFP", "Lithium iron phosphate (LFP cathode active material)", "15365-14-7", 30.1, true),
        ("Cathode", "CC-AL-13", "Aluminium (cathode current collector foil)", "7429-90-5", 3.4, true),
        ("Cathode", "BND-PVDF", "Polyvinylidene fluoride (PVDF binder)", "24937-79-9", 0.9, false),
        ("Anode", "AAM-GR", "Graphite (natural/synthetic blend)", "7782-42-5", 14.2, true),
        ("Anode", "CC-CU-06", "Copper (anode current collector foil)", "7440-50-8", 8.1, true),
        ("Electrolyte", "EL-LP30", "Lithium hexafluorophosphate (LiPF6)", "21324-40-3", 1.45, true),
        ("Electrolyte", "EL-LP30", "Ethylene carbonate", "96-49-1", 3.5, false),
        ("Electrolyte", "EL-LP30", "Dimethyl carbonate", "616-38-6", 3.4, false),
        ("Electrolyte", "EL-LP30", "Ethyl methyl carbonate", "623-53-0", 3.25, false),
        ("Separator", "SEP-PE-16", "Polyethylene (separator)", "9002-88-4", 1.6, false),
        ("Cell casing", "CASE-280", "Aluminium (prismatic cell cases)", "7429-90-5", 9.8, true),
        ("Housing", "CAB-R16", "Iron (steel cabinet and rack)", "7439-89-6", 21.5, false),
        ("Busbars", "BB-R16", "Copper (busbars and DC cabling)", "7440-50-8", 2.2, true),
    ],
    hazards: &[LIPF6, ethylene_carbonate(30.2)],
    recycled: &[("Lithium", 2.0, 5.0)],
    renewable_content: 1.8,
    spare_parts: &[(
        "Volta Energy Storage GmbH",
        "spareparts@volta-storage.example",
        "https://service.volta-storage.example",
        ("Energiepark 3, Dresden", "01109", "DE"),
        &[
            ("Battery management system board 16s", "VES-BMS-R16-03"),
            ("DC circuit breaker 250 A", "VES-DCB-250"),
            ("Cabinet fan unit", "VES-FAN-R16"),
            ("Prismatic LFP cell 280 Ah", "VES-CELL-LFP-280"),
        ],
    )],
    extinguishing_agents: &[
        "Water (large quantities, for cooling)",
        "Water mist",
        "CO2 (for initial electrical fires)",
    ],
    cycles_per_year: (220.0, 330.0),
    calendar_fade_per_year: 0.8,
    fade_per_cycle: 0.0025,
    in_use_soc: (10.0, 95.0),
    negative_events: &[
        "Overcharge protection tripped: cell voltage above 3.65 V during inverter firmware update",
        "Cabinet temperature above 50 °C during heat wave; charging derated for 3 h",
    ],
};

/// Everything that is the same for every battery of the model. The item-level members are filled by [`passport`].
fn model_document(spec: &Spec) -> Value {
    let docs = spec.docs_base();
    let energy = spec.rated_energy();
    let (plant_street, plant_postal_code, plant_country) = spec.plant_address;

    let general = json!({
        "batteryCategory": spec.model.category(),
        "manufacturerInformation": spec.manufacturer.contact(),
        "manufacturingPlace": {
            "addressCountry": plant_country,
            "postalCode": plant_postal_code,
            "streetAddress": plant_street,
        },
        "batteryMass": spec.mass,
        "warrentyPeriod": spec.warranty,
    });

    let labels = json!({
        "declarationOfConformity": format!("{docs}/eu-declaration-of-conformity.pdf"),
        "declarationOfConformityId": format!("DoC-VOLTA-{}-2026-{:04}", spec.code, 40 + spec.model as usize),
        "resultOfTestReport": format!("{docs}/conformity-test-report.pdf"),
        "labels": [
            {
                "labelingSubject": "SeparateCollection",
                "labelingSymbol": "https://labels.volta-cells.example/symbols/separate-collection-crossed-out-bin.svg",
                "labelingMeaning": {
                    "en": "Do not dispose of with household waste: return the battery to a separate collection point.",
                    "de": "Nicht im Hausmüll entsorgen: Batterie bei einer getrennten Sammelstelle abgeben.",
                },
            },
            {
                "labelingSubject": "HazardousMaterial",
                "labelingSymbol": "https://labels.volta-cells.example/symbols/lithium-ion-class-9.svg",
                "labelingMeaning": {
                    "en": "Contains lithium-ion cells with a flammable electrolyte (UN 3480, dangerous goods class 9). Contains no cadmium or lead above the marking thresholds.",
                    "de": "Enthält Lithium-Ionen-Zellen mit brennbarem Elektrolyt (UN 3480, Gefahrgutklasse 9). Enthält kein Cadmium oder Blei über den Kennzeichnungsschwellen.",
                },
            },
            {
                "labelingSubject": "CarbonFootPrint",
                "labelingSymbol": format!("https://labels.volta-cells.example/symbols/carbon-footprint-class-{}.svg", spec.carbon_class.to_lowercase()),
                "labelingMeaning": {
                    "en": format!("Carbon footprint {} kg CO2e/kWh, performance class {}.", spec.carbon_footprint, spec.carbon_class),
                    "de": format!("CO2-Fußabdruck {} kg CO2e/kWh, Leistungsklasse {}.", spec.carbon_footprint, spec.carbon_class),
                },
            },
            {
                "labelingSubject": "ExtinguishingAgent",
                "labelingSymbol": "https://labels.volta-cells.example/symbols/extinguishing-agent-water.svg",
                "labelingMeaning": {
                    "en": "In case of fire, cool with large quantities of water.",
                    "de": "Im Brandfall mit großen Mengen Wasser kühlen.",
                },
            },
        ],
    });

    let stages = ["RawMaterialExtraction", "MainProduction", "Distribution", "Recycling"];
    let carbon = json!({
        "batteryCarbonFootprint": spec.carbon_footprint,
        "carbonFootprintPerLifecycleStage": stages
            .iter()
            .zip(spec.carbon_shares)
            .map(|(stage, share)| json!({"lifecycleStage": stage, "carbonFootprint": share}))
            .collect::<Vec<_>>(),
        "carbonFootprintPerformanceClass": spec.carbon_class,
        "carbonFootprintStudy": format!("{docs}/carbon-footprint-study-2026.pdf"),
        // t CO2e for the whole battery
        "absoluteCarbonFootprint": round(spec.carbon_footprint * energy / 1000.0, 3),
    });

    let supply_chain = json!({
        "supplyChainDueDiligenceReport": "https://www.volta-cells.example/sustainability/due-diligence-report-2025.pdf",
        "thirdPartyAussurances": "https://www.volta-cells.example/sustainability/rmi-rmap-assurance-2025.pdf",
        "supplyChainIndicies": spec.supply_chain_index,
    });

    let material_composition = json!({
        "batteryChemistry": {"shortName": spec.chemistry.0, "clearName": spec.chemistry.1},
        "batteryMaterials": spec.materials.iter().map(|&(component, component_id, name, cas, mass, critical)| json!({
            "batteryMaterialLocation": {"componentName": component, "componentId": component_id},
            "batteryMaterialIdentifier": cas,
            "batteryMaterialName": name,
            "batteryMaterialMass": mass,
            "isCriticalRawMaterial": critical,
        })).collect::<Vec<_>>(),
        "hazardousSubstances": spec.hazards.iter().map(|&(class, name, cas, concentration, impact, component)| json!({
            "hazardousSubstanceClass": class,
            "hazardousSubstanceName": name,
            "hazardousSubstanceConcentration": concentration,
            "hazardousSubstanceImpact": impact,
            "hazardousSubstanceLocation": {"componentName": component},
            "hazardousSubstanceIdentifier": cas,
        })).collect::<Vec<_>>(),
    });

    let mut documents = vec![
        ("DismantlingManual", "application/pdf", "dismantling-manual.pdf"),
        ("RemovalManual", "application/pdf", "removal-manual.pdf"),
        ("BillOfMaterial", "text/csv", "bill-of-material.csv"),
        ("Drawing", "application/pdf", "exploded-view-drawing.pdf"),
    ];
    if spec.model != DemoModel::LmtLfp {
        documents.push(("Model3D", "model/step", "pack-model.step"));
    }
    let circularity = json!({
        "dismantlingAndRemovalInformation": documents.iter().map(|(kind, mime, file)| json!({
            "documentType": kind,
            "mimeType": mime,
            "documentURL": format!("{docs}/{file}"),
        })).collect::<Vec<_>>(),
        "sparePartSources": spec.spare_parts.iter().map(|&(name, email, web, (street, postal_code, country), parts)| json!({
            "nameOfSupplier": name,
            "addressOfSupplier": {"addressCountry": country, "postalCode": postal_code, "streetAddress": street},
            "emailAddressOfSupplier": email,
            "supplierWebAddress": web,
            "components": parts.iter().map(|(part, number)| json!({"partName": part, "partNumber": number})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "recycledContent": spec.recycled.iter().map(|&(material, pre, post)| json!({
            "recycledMaterial": material,
            "preConsumerShare": pre,
            "postConsumerShare": post,
        })).collect::<Vec<_>>(),
        "recycledContentReporting": {"reportingYear": 2026, "manufacturingPlant": spec.plant},
        "safetyMeasures": {
            "safetyInstructions": format!("{docs}/safety-instructions.pdf"),
            "wasteBatterySafetyInstructions": format!("{docs}/waste-battery-handling-instructions.pdf"),
        },
        "endOfLifeInformation": {
            "wastePrevention": "https://www.volta-cells.example/end-of-life/waste-prevention",
            "separateCollection": "https://www.volta-cells.example/end-of-life/separate-collection",
            "informationOnCollection": "https://www.volta-cells.example/end-of-life/collection-points-and-take-back",
        },
        "renewableContent": spec.renewable_content,
    });

    let technical = json!({
        "originalPowerCapability": [
            {"atSoC": 80, "powerCapabilityAt": spec.power_at_80},
            {"atSoC": 20, "powerCapabilityAt": spec.power_at_20},
        ],
        "ratedMaximumPower": spec.rated_maximum_power,
        "powerCapabilityRatio": round(spec.rated_maximum_power / (energy * 1000.0), 2),
        "ratedEnergy": energy,
        "expectedNumberOfCycles": spec.expected_cycles,
        "initialSelfDischarge": spec.initial_self_discharge,
        "roundtripEfficiency": spec.roundtrip_efficiency,
        "ratedCapacity": spec.rated_capacity,
        "initialInternalResistance": spec.initial_resistance.iter()
            .map(|(component, ohm)| json!({"ohmicResistance": ohm, "batteryComponent": component}))
            .collect::<Vec<_>>(),
        "expectedLifetime": spec.expected_lifetime,
        "nominalVoltage": spec.nominal_voltage,
        "minimumVoltage": spec.minimum_voltage,
        "maximumVoltage": spec.maximum_voltage,
        "capacityThresholdForExhaustion": spec.capacity_threshold,
        "lifetimeReferenceTest": format!("{docs}/cycle-life-reference-test.pdf"),
        "cRateLifeCycleTest": spec.c_rate_life_cycle_test,
        "temperatureRangeIdleState": {"minimum": spec.idle_temperature.0, "maximum": spec.idle_temperature.1},
        "roundTripEfficiencyat50PerCentCycleLife": spec.roundtrip_efficiency_50,
        "roundTripEfficiencyFade": round((1.0 - spec.roundtrip_efficiency_50 / spec.roundtrip_efficiency) * 100.0, 2),
        "powerFade": spec.power_fade,
    });

    json!({
        "generalProductInformation": general,
        "labels": labels,
        "carbonFootprint": carbon,
        "supplyChainDueDiligence": supply_chain,
        "materialComposition": material_composition,
        "circularity": circularity,
        "performance": {"batteryTechicalProperties": technical},
    })
}

// ---------------------------------------------------------------------------------------------------------
// Item data
// ---------------------------------------------------------------------------------------------------------

/// The dynamic `performance/batteryCondition` of one battery, consistent with its age and usage.
fn battery_condition(
    spec: &Spec,
    in_service: OffsetDateTime,
    last_update: OffsetDateTime,
    rng: &mut impl Rng,
) -> Value {
    let updated = stamp(last_update);
    let years = (last_update - in_service).as_seconds_f64() / (365.25 * 86_400.0);
    let days = years * 365.25;

    let cycles = (rng.random_range(spec.cycles_per_year.0..spec.cycles_per_year.1) * years).floor();
    // Capacity fade: calendar ageing plus cycling, never below a small formation loss so remaining ≤ rated.
    let capacity_fade = round(
        (0.3 + spec.calendar_fade_per_year * years + spec.fade_per_cycle * cycles + rng.random_range(-0.15..0.15))
            .max(0.2),
        2,
    );
    let energy_fade = capacity_fade * rng.random_range(1.02..1.1);
    let soce = round(100.0 - energy_fade, 1);
    let energy = spec.rated_energy();
    let energy_decimals = if energy < 10.0 { 3 } else { 2 };

    // Throughput follows the full cycles; the average capacity over the life so far is a little below rated.
    let capacity_throughput = round(cycles * spec.rated_capacity * (1.0 - capacity_fade / 200.0), 1);
    let energy_throughput = round(capacity_throughput * spec.nominal_voltage / 1000.0, energy_decimals);

    let soc = if cycles < 3.0 {
        rng.random_range(30.0..60.0) // as shipped
    } else {
        rng.random_range(spec.in_use_soc.0..spec.in_use_soc.1)
    };

    let resistance_increase = round(capacity_fade * rng.random_range(1.5..2.5) + rng.random_range(0.2..1.0), 2);
    let power_fade_now = capacity_fade * rng.random_range(1.1..1.5);
    let self_discharge_evolution = round(years * rng.random_range(2.0..8.0), 2);
    let rte_now = spec.roundtrip_efficiency
        - (spec.roundtrip_efficiency - spec.roundtrip_efficiency_50) * (cycles / (spec.expected_cycles as f64 / 2.0))
        - rng.random_range(0.0..0.2);

    // Minutes outside the idle temperature range: most batteries never leave it.
    let mut minutes = |probability: f64, per_day: f64| -> f64 {
        if rng.random_bool(probability) { (rng.random_range(0.0..per_day) * days).round() } else { 0.0 }
    };
    let high = minutes(0.25, 3.0);
    let low = minutes(0.2, 4.0);
    let high_charging = (high * 0.2).round();
    let low_charging = (low * 0.1).round();

    let negative_events: Vec<Value> = if rng.random_bool(0.03) {
        let event = spec.negative_events[rng.random_range(0..spec.negative_events.len())];
        let when = at((in_service + (last_update - in_service) * rng.random_range(0.1f64..0.9)).unix_timestamp());
        vec![json!({"negativeEvent": event, "lastUpdate": stamp(when)})]
    } else {
        Vec::new()
    };

    json!({
        "energyThroughput": {"energyThroughputValue": energy_throughput, "lastUpdate": updated},
        "capacityThroughput": {"capacityThroughputValue": capacity_throughput, "lastUpdate": updated},
        "numberOfFullCycles": {"numberOfFullCyclesValue": cycles as u64, "lastUpdate": updated},
        "stateOfCertifiedEnergy": {"stateOfCertifiedEnergyValue": soce, "lastUpdate": updated},
        "capacityFade": {"capacityFadeValue": capacity_fade, "lastUpdate": updated},
        "remainingEnergy": {"remainingEnergyValue": round(energy * soce / 100.0, energy_decimals), "lastUpdate": updated},
        "remainingCapacity": {
            "remainingCapacityValue": round(spec.rated_capacity * (1.0 - capacity_fade / 100.0), 2),
            "lastUpdate": updated,
        },
        "negativeEvents": negative_events,
        "temperatureInformation": {
            "timeExtremeHighTemp": high,
            "timeExtremeLowTemp": low,
            "timeExtremeHighTempCharging": high_charging,
            "timeExtremeLowTempCharging": low_charging,
            "lastUpdate": updated,
        },
        "remainingPowerCapability": {
            "remainingPowerCapabilityValue": {
                "atSoC": 80,
                "powerCapabilityAt": (spec.power_at_80 * (1.0 - power_fade_now / 100.0)).round(),
                "rPCLastUpdated": updated,
            },
            "lastUpdate": updated,
        },
        "evolutionOfSelfDischarge": {"evolutionOfSelfDischargeValue": self_discharge_evolution, "lastUpdate": updated},
        "currentSelfDischargingRate": {
            "currentSelfDischargingRateValue": round(spec.initial_self_discharge * (1.0 + self_discharge_evolution / 100.0), 2),
            "lastUpdate": updated,
        },
        "internalResistanceIncrease": spec.initial_resistance.iter().map(|(component, _)| json!({
            "internalResistanceIncreaseValue": resistance_increase,
            "lastUpdate": updated,
            "batteryComponent": component,
        })).collect::<Vec<_>>(),
        "internalResistance": spec.initial_resistance.iter().map(|&(component, ohm)| json!({
            "ohmicResistance": round(ohm * (1.0 + resistance_increase / 100.0), 6),
            "batteryComponent": component,
            "lastUpdate": updated,
        })).collect::<Vec<_>>(),
        "remainingRoundTripEnergyEfficiency": {"remainingRoundTripEnergyEfficiencyValue": round(rte_now, 1), "lastUpdate": updated},
        "stateOfCharge": {"stateOfChargeValue": round(soc, 1), "lastUpdate": updated},
    })
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

/// Writes whole numbers as integers (485, not 485.0), as a person filling in the passport would.
fn tidy_numbers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(x) = n.as_f64()
                && n.is_f64()
                && x.fract() == 0.0
                && x.abs() < 1e15
            {
                *value = json!(x as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy_numbers),
        Value::Object(map) => map.values_mut().for_each(tidy_numbers),
        _ => {}
    }
}

fn round(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

fn at(unix_seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix_seconds).expect("demo dates lie in 2025-2026")
}

fn stamp(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("a UTC date in 2025-2026 formats as RFC 3339")
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_consistent() {
        for model in DemoModel::ALL {
            let spec = model.spec();
            assert_eq!(spec.model, model);
            let energy = spec.rated_energy();
            assert!((energy - spec.rated_capacity * spec.nominal_voltage / 1000.0).abs() / energy < 0.01);
            assert!(spec.minimum_voltage >= 0.6 * spec.nominal_voltage);
            assert!(spec.maximum_voltage <= 1.25 * spec.nominal_voltage);
            assert!(spec.power_at_80 <= spec.rated_maximum_power && spec.power_at_20 < spec.power_at_80);
            assert!((spec.carbon_shares.iter().sum::<f64>() - 100.0).abs() < 1e-9);
            let materials: f64 = spec.materials.iter().map(|m| m.4).sum();
            assert!(materials <= spec.mass, "{model:?}: {materials} kg of materials in {} kg", spec.mass);
        }
    }
}
