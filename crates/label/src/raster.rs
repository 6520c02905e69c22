//! PNG from the module matrix: 1-bit greyscale, so a code is a few hundred bytes and every pixel is exactly
//! black or white (no resampling blur for scanners).

use crate::{LabelError, qr_matrix};

/// The QR code of `url` as PNG bytes, `module_px` pixels per module (1 to 100), quiet zone included.
pub fn qr_png(url: &str, module_px: u32) -> Result<Vec<u8>, LabelError> {
    if !(1..=100).contains(&module_px) {
        return Err(LabelError::ModuleSize(module_px));
    }
    let matrix = qr_matrix(url)?;
    let scale = module_px as usize;
    let side = matrix.size() * scale;
    let row_bytes = side.div_ceil(8);
    let mut data = vec![0u8; row_bytes * side];
    for y in 0..side {
        let row = &mut data[y * row_bytes..(y + 1) * row_bytes];
        for x in 0..side {
            if !matrix.is_dark(x / scale, y / scale) {
                row[x / 8] |= 0x80 >> (x % 8); // 1 = white
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let png_err = |e: png::EncodingError| LabelError::Png(e.to_string());
    let mut writer = encoder.write_header().map_err(png_err)?;
    writer.write_image_data(&data).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_has_the_matrix_size_and_refuses_silly_module_sizes() {
        let bytes = qr_png("https://example.com/p/urn:voltpass:1", 3).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let side = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        assert_eq!(side as usize, qr_matrix("https://example.com/p/urn:voltpass:1").unwrap().size() * 3);
        assert!(matches!(qr_png("x", 0), Err(LabelError::ModuleSize(0))));
        assert!(matches!(qr_png("x", 101), Err(LabelError::ModuleSize(101))));
    }
}
