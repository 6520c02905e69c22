//! The attribute catalogue: one row per passport attribute, as data in the code.
//!
//! Rows 1-93 follow the Battery Pass "Data Attribute Longlist" v1.2 (DIN DKE SPEC 99100 addendum);
//! rows 1001+ are attributes the regulation asks for that the longlist does not carry.
//! Access control, mandatory-attribute checks and documentation all read this one table.

mod table;

pub use table::ATTRIBUTES;

/// Who may read an attribute (Art. 77(2), Annex XIII).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessGroup {
    /// Annex XIII point 1: anyone scanning the QR code.
    Public,
    /// Annex XIII points 2 and 4: persons with a legitimate interest.
    LegitimateInterest,
    /// Annex XIII point 2: persons with a legitimate interest and the Commission (authorities).
    LegitimateInterestAndAuthority,
    /// Annex XIII point 3: notified bodies, market surveillance authorities and the Commission.
    Authority,
}

/// Whether a value is fixed when the battery is placed on the market or changes during its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variability {
    Static,
    Dynamic,
}

/// Where a value lives: once per battery model (and plant), or per individual battery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Model,
    Item,
}

/// Whether a category must carry the attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    Mandatory,
    Optional,
    NotApplicable,
}

/// The four battery categories with a passport obligation, in the catalogue's column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Ev,
    Lmt,
    Industrial,
    Stationary,
}

impl Category {
    pub const ALL: [Category; 4] = [Category::Ev, Category::Lmt, Category::Industrial, Category::Stationary];

    /// The value used in `generalProductInformation/batteryCategory`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Ev => "ev",
            Category::Lmt => "lmt",
            Category::Industrial => "industrial",
            Category::Stationary => "stationary",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    fn column(self) -> usize {
        self as usize
    }
}

/// One passport attribute.
#[derive(Debug, Clone, Copy)]
pub struct Attribute {
    /// Longlist row number (1-93) or 1001+ for regulation extras.
    pub id: u16,
    pub name: &'static str,
    /// JSON pointers (RFC 6901) into the canonical document; `-` stands for "every array element".
    pub pointers: &'static [&'static str],
    /// Unit as the longlist gives it (`""` when not applicable).
    pub unit: &'static str,
    pub access: AccessGroup,
    pub variability: Variability,
    pub granularity: Granularity,
    /// Indexed by `Category` order: EV, LMT, industrial, stationary.
    pub requirement: [Requirement; 4],
    /// Legal source, e.g. "Annex XIII (1c); Art. 7".
    pub legal_source: &'static str,
}

impl Attribute {
    pub fn requirement_for(&self, category: Category) -> Requirement {
        self.requirement[category.column()]
    }
}

/// Looks an attribute up by its id.
pub fn attribute(id: u16) -> Option<&'static Attribute> {
    ATTRIBUTES.iter().find(|a| a.id == id)
}
