//! The lifecycle of a battery and its passport (Art. 77(6)-(8), Annex XIII point 4(c)).
//!
//! ```text
//!   Original ─┬─► Waste ──────────────► (Recycled: the passport ends)
//!             │     │
//!             │     └─► Reused / Repurposed / Remanufactured   (prepared for re-use or repurposing)
//!             └─► Reused / Repurposed / Remanufactured
//! Reused / Repurposed / Remanufactured ─► Waste, or again Reused / Repurposed / Remanufactured
//! ```
//!
//! Becoming waste changes the passport in place (responsibility may move to the producer or a waste-management
//! operator). Re-use, repurposing and remanufacturing give the battery a NEW passport linked to its predecessor
//! (Art. 77(7)); the predecessor stays readable and names its successor. Recycling ends the passport.

use std::fmt;

/// `batteryStatus` values of the canonical document, plus the end state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Original,
    Reused,
    Repurposed,
    Remanufactured,
    Waste,
    /// The battery was recycled: the passport has ended (not a document value; the head's status).
    Recycled,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Original, Status::Reused, Status::Repurposed, Status::Remanufactured, Status::Waste, Status::Recycled];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Original => "Original",
            Status::Reused => "Reused",
            Status::Repurposed => "Repurposed",
            Status::Remanufactured => "Remanufactured",
            Status::Waste => "Waste",
            Status::Recycled => "Recycled",
        }
    }

    /// Accepts the document spelling and the regulation's lower-case words (`re-used`, `waste`, ...).
    pub fn parse(s: &str) -> Option<Status> {
        let folded: String = s.chars().filter(|c| *c != '-' && *c != '_').collect::<String>().to_ascii_lowercase();
        Status::ALL.into_iter().find(|st| st.as_str().to_ascii_lowercase() == folded)
    }

    /// Statuses a battery placed back on the market has; each needs a new passport.
    pub fn is_second_life(self) -> bool {
        matches!(self, Status::Reused | Status::Repurposed | Status::Remanufactured)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a transition does to the passport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A new version of the same passport with the new status (becoming waste).
    InPlace,
    /// A new passport for the battery, linked to this one as predecessor.
    Successor,
    /// The passport ends (recycling).
    End,
}

/// Why a transition is refused: said to the client with 409.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the passport has ended (battery recycled): no further status changes")]
    Ended,
    #[error("the battery is already {0}")]
    Unchanged(Status),
    #[error("a battery cannot become {to} again: Original is only the first status")]
    BackToOriginal { to: Status },
    #[error("only a waste battery can be recycled; this one is {from}")]
    RecycleBeforeWaste { from: Status },
    #[error("passport status `{0}` is not a lifecycle status")]
    Unknown(String),
}

/// The one place that decides which status changes are allowed, and what they do.
pub fn transition(from: Status, to: Status) -> Result<Change, TransitionError> {
    use Status::*;
    match (from, to) {
        (Recycled, _) => Err(TransitionError::Ended),
        (_, Original) => Err(TransitionError::BackToOriginal { to }),
        (Waste, Recycled) => Ok(Change::End),
        (from, Recycled) => Err(TransitionError::RecycleBeforeWaste { from }),
        (Waste, Waste) => Err(TransitionError::Unchanged(Waste)),
        (_, Waste) => Ok(Change::InPlace),
        // Another second life of a second-life battery is again a new passport (e.g. remanufacturing a
        // repurposed battery); so is preparing a waste battery for re-use or repurposing.
        (_, to) if to.is_second_life() => Ok(Change::Successor),
        (from, _) => Err(TransitionError::Unchanged(from)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn every_pair_has_one_answer() {
        let allowed: Vec<(Status, Status, Change)> = Status::ALL
            .iter()
            .flat_map(|&a| Status::ALL.iter().map(move |&b| (a, b)))
            .filter_map(|(a, b)| transition(a, b).ok().map(|c| (a, b, c)))
            .collect();
        // 4 live statuses × (Waste + 3 second lives) + Waste × 3 second lives + Waste → Recycled
        let expected = [
            (Original, Reused, Change::Successor),
            (Original, Repurposed, Change::Successor),
            (Original, Remanufactured, Change::Successor),
            (Original, Waste, Change::InPlace),
            (Reused, Reused, Change::Successor),
            (Reused, Repurposed, Change::Successor),
            (Reused, Remanufactured, Change::Successor),
            (Reused, Waste, Change::InPlace),
            (Repurposed, Reused, Change::Successor),
            (Repurposed, Repurposed, Change::Successor),
            (Repurposed, Remanufactured, Change::Successor),
            (Repurposed, Waste, Change::InPlace),
            (Remanufactured, Reused, Change::Successor),
            (Remanufactured, Repurposed, Change::Successor),
            (Remanufactured, Remanufactured, Change::Successor),
            (Remanufactured, Waste, Change::InPlace),
            (Waste, Reused, Change::Successor),
            (Waste, Repurposed, Change::Successor),
            (Waste, Remanufactured, Change::Successor),
            (Waste, Recycled, Change::End),
        ];
        assert_eq!(allowed, expected);
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(transition(Recycled, Waste), Err(TransitionError::Ended));
        assert_eq!(transition(Original, Recycled), Err(TransitionError::RecycleBeforeWaste { from: Original }));
        assert_eq!(transition(Waste, Original), Err(TransitionError::BackToOriginal { to: Original }));
        assert_eq!(transition(Waste, Waste), Err(TransitionError::Unchanged(Waste)));
        assert!(transition(Original, Original).unwrap_err().to_string().contains("Original"));
    }

    #[test]
    fn statuses_parse_in_both_spellings() {
        assert_eq!(Status::parse("re-used"), Some(Reused));
        assert_eq!(Status::parse("Remanufactured"), Some(Remanufactured));
        assert_eq!(Status::parse("waste"), Some(Waste));
        assert_eq!(Status::parse("broken"), None);
    }
}
