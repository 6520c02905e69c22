//! QR codes (ISO/IEC 18004) of passport URLs, and printable label sheets.
//!
//! Regulation (EU) 2023/1542 Art. 77(3) wants the passport reachable through a QR code printed or engraved on
//! the battery; this crate draws that code for screens (SVG, PNG) and for label printers (A4 sheets of
//! adhesive labels, SVG or PDF). It is pure (no I/O) so the HTTP routes and the CLI share it. The QR matrix is
//! computed in one place ([`qr_matrix`]: level M, quiet zone included) and every output only paints it.

mod pdf;
mod raster;
mod sheet;
mod svg;

pub use pdf::{sheet_pdf, win_ansi};
pub use raster::qr_png;
pub use sheet::{Label, SheetLayout};
pub use svg::{qr_svg, sheet_svg};

use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the symbol on every side, as ISO/IEC 18004 requires.
pub const QUIET_ZONE: usize = 4;

/// Why a code or sheet could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("nothing to encode: the URL is empty")]
    EmptyData,
    #[error("{len} bytes do not fit in a QR code at error correction level M (at most 2331)")]
    DataTooLong { len: usize },
    #[error("QR encoding failed: {0}")]
    Qr(String),
    #[error("module size must be 1 to 100 pixels, got {0}")]
    ModuleSize(u32),
    #[error("no labels to print")]
    NoLabels,
    #[error("invalid sheet layout: {0}")]
    Layout(String),
    #[error("the caption of label {index} does not fit on the label: {caption:?}")]
    CaptionTooLong { index: usize, caption: String },
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// A square QR module matrix including the quiet zone; `true` = dark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    size: usize,
    dark: Vec<bool>,
}

impl Matrix {
    /// Side length in modules, quiet zone included.
    pub fn size(&self) -> usize {
        self.size
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.size + x]
    }

    /// Horizontal runs of dark modules as `(x, y, length)`: what the vector outputs paint.
    pub fn runs(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..self.size).flat_map(move |y| {
            let mut runs = Vec::new();
            let mut x = 0;
            while x < self.size {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.size && self.is_dark(x, y) {
                        x += 1;
                    }
                    runs.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
            runs
        })
    }
}

/// The QR code of `data` at error correction level M (15 % of the code words may be damaged), with a quiet
/// zone of [`QUIET_ZONE`] modules.
pub fn qr_matrix(data: &str) -> Result<Matrix, LabelError> {
    if data.is_empty() {
        return Err(LabelError::EmptyData);
    }
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).map_err(|e| match e {
        qrcode::types::QrError::DataTooLong => LabelError::DataTooLong { len: data.len() },
        other => LabelError::Qr(other.to_string()),
    })?;
    let width = code.width();
    let size = width + 2 * QUIET_ZONE;
    let mut dark = vec![false; size * size];
    for (i, color) in code.to_colors().into_iter().enumerate() {
        let (x, y) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
        dark[y * size + x] = color == Color::Dark;
    }
    Ok(Matrix { size, dark })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://passports.example.com/p/urn:voltpass:0192f3a45b6c7d8e9f0a1b2c3d4e5f60";

    #[test]
    fn quiet_zone_is_light_and_the_finder_starts_right_after_it() {
        let m = qr_matrix(URL).unwrap();
        let n = m.size();
        for i in 0..n {
            for q in 0..QUIET_ZONE {
                for (x, y) in [(i, q), (q, i), (i, n - 1 - q), (n - 1 - q, i)] {
                    assert!(!m.is_dark(x, y), "quiet zone module ({x}, {y}) is dark");
                }
            }
        }
        // top-left finder pattern: a 7x7 dark ring at (4, 4)
        assert!((0..7).all(|i| m.is_dark(QUIET_ZONE + i, QUIET_ZONE) && m.is_dark(QUIET_ZONE, QUIET_ZONE + i)));
        assert_eq!((n - 2 * QUIET_ZONE - 17) % 4, 0, "symbol side is 17 + 4 * version");
    }

    /// Reads the 15-bit format information next to the top-left finder (ISO/IEC 18004 7.9) and checks that
    /// it is a valid BCH code word whose error correction indicator is M (`00`).
    #[test]
    fn error_correction_level_is_m() {
        for data in [URL, "x", &"9".repeat(500)] {
            let m = qr_matrix(data).unwrap();
            let at = |x: usize, y: usize| m.is_dark(x + QUIET_ZONE, y + QUIET_ZONE) as u16;
            let coords = [(0, 8), (1, 8), (2, 8), (3, 8), (4, 8), (5, 8), (7, 8), (8, 8)].into_iter().chain([
                (8, 7),
                (8, 5),
                (8, 4),
                (8, 3),
                (8, 2),
                (8, 1),
                (8, 0),
            ]);
            let read = coords.fold(0u16, |acc, (x, y)| (acc << 1) | at(x, y));
            let valid = (0u16..32).find(|&d| format_code(d) == read).expect("a valid format information code");
            assert_eq!(d_ec(valid), 0b00, "level M for {data:.20}");
        }
        fn d_ec(data: u16) -> u16 {
            data >> 3
        }
        fn format_code(data: u16) -> u16 {
            let mut rem = data << 10;
            for bit in (10..15).rev() {
                if rem & (1 << bit) != 0 {
                    rem ^= 0x537 << (bit - 10);
                }
            }
            ((data << 10) | rem) ^ 0x5412
        }
    }

    #[test]
    fn empty_and_too_long_data_are_refused() {
        assert!(matches!(qr_matrix(""), Err(LabelError::EmptyData)));
        let long = "a".repeat(2332);
        assert!(matches!(qr_matrix(&long), Err(LabelError::DataTooLong { len: 2332 })));
        assert!(qr_matrix(&"a".repeat(2331)).is_ok());
    }
}
