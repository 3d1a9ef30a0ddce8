//! Item pictures: sniffed, checked against their declared type, raster ones decoded and
//! encoded again (with a copy sized for the member centre), SVG through the allow-list
//! sanitizer; stored once per programme by hash.

use jifen_ledger::Millis;
use jifen_store::Tx;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AppError, ProgramCtx};

/// The largest image an item may have.
pub const IMAGE_BYTES_MAX: usize = 2 * 1024 * 1024;

/// The image type the bytes are, by their first bytes (the declared type must agree).
fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        return Some("image/gif");
    }
    if data.len() > 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    let text = std::str::from_utf8(data)
        .ok()?
        .trim_start_matches('\u{feff}')
        .trim_start();
    if text.starts_with("<svg") || (text.starts_with("<?xml") && text.contains("<svg")) {
        return Some("image/svg+xml");
    }
    None
}

/// The largest picture side accepted, and the side of the member centre's copy.
pub const IMAGE_SIDE_MAX: u32 = 6_000;
pub const THUMB_SIDE: u32 = 480;

/// Decodes a raster image (with limits against decompression bombs) and encodes it again:
/// JPEG stays JPEG, the others become PNG (an animated GIF keeps its first frame). Returns the
/// stored type, the image and, when it is larger, a copy that fits `THUMB_SIDE`.
fn reencode(
    kind: &'static str,
    data: &[u8],
) -> Result<(&'static str, Vec<u8>, Option<Vec<u8>>), AppError> {
    use image::{ImageFormat, ImageReader, Limits};
    let format = match kind {
        "image/png" => ImageFormat::Png,
        "image/jpeg" => ImageFormat::Jpeg,
        "image/gif" => ImageFormat::Gif,
        _ => ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(std::io::Cursor::new(data), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(IMAGE_SIDE_MAX);
    limits.max_image_height = Some(IMAGE_SIDE_MAX);
    limits.max_alloc = Some(256 << 20);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| {
        AppError::invalid(
            "body",
            format!("is not a readable image (at most {IMAGE_SIDE_MAX} pixels a side): {e}"),
        )
    })?;
    let (out_kind, out_format) = if format == ImageFormat::Jpeg {
        ("image/jpeg", ImageFormat::Jpeg)
    } else {
        ("image/png", ImageFormat::Png)
    };
    let encode = |img: &image::DynamicImage| -> Result<Vec<u8>, AppError> {
        let mut out = std::io::Cursor::new(Vec::new());
        let img = if out_format == ImageFormat::Jpeg {
            // JPEG has no alpha channel.
            image::DynamicImage::ImageRgb8(img.to_rgb8())
        } else {
            img.clone()
        };
        img.write_to(&mut out, out_format)
            .map_err(|e| AppError::Internal(format!("cannot encode the image: {e}")))?;
        Ok(out.into_inner())
    };
    let full = encode(&img)?;
    let thumb = if img.width() > THUMB_SIDE || img.height() > THUMB_SIDE {
        Some(encode(&img.thumbnail(THUMB_SIDE, THUMB_SIDE))?)
    } else {
        None
    };
    Ok((out_kind, full, thumb))
}

/// An image stored: its id and type, its size, the public address it is served at, and the
/// copy sized for the member centre (the image itself when it is small, or an SVG).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImageUploaded {
    pub image_id: i64,
    /// The type stored: `image/png`, `image/jpeg` or `image/svg+xml`.
    pub content_type: String,
    /// The size of the image stored, in bytes.
    pub bytes: u64,
    /// Where anyone may read it: `/media/{image_id}`.
    pub url: String,
    pub thumb_image_id: i64,
    /// Where anyone may read the member centre's copy: `/media/{thumb_image_id}`.
    pub thumb_url: String,
}

impl ImageUploaded {
    fn new(image_id: i64, content_type: &str, bytes: usize, thumb_image_id: i64) -> Self {
        ImageUploaded {
            image_id,
            content_type: content_type.to_string(),
            bytes: bytes as u64,
            url: format!("/media/{image_id}"),
            thumb_image_id,
            thumb_url: format!("/media/{thumb_image_id}"),
        }
    }
}

/// Stores an uploaded image (PNG, JPEG, GIF, WebP or SVG without scripts) once per programme;
/// returns its id and the public address the binary serves it at.
pub fn upload_image(
    tx: &mut Tx<'_>,
    ctx: &ProgramCtx,
    now: Millis,
    content_type: &str,
    data: &[u8],
) -> Result<ImageUploaded, AppError> {
    if data.is_empty() {
        return Err(AppError::invalid("body", "the image is empty"));
    }
    if data.len() > IMAGE_BYTES_MAX {
        return Err(AppError::invalid(
            "body",
            format!(
                "the image is {:.1} MiB; an image may be at most {} MiB ({IMAGE_BYTES_MAX} bytes)",
                data.len() as f64 / 1_048_576.0,
                IMAGE_BYTES_MAX / 1_048_576
            ),
        ));
    }
    let Some(kind) = sniff(data) else {
        return Err(AppError::invalid(
            "body",
            "is not a PNG, JPEG, GIF, WebP or SVG image",
        ));
    };
    let declared = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if declared != kind {
        return Err(AppError::invalid(
            "content_type",
            format!("the body is {kind}, not {declared}"),
        ));
    }
    use sha2::{Digest, Sha256};
    let mut store = |kind: &str, bytes: &[u8]| -> Result<i64, AppError> {
        let hash = hex::encode(Sha256::digest(bytes));
        Ok(tx.insert_mall_image(ctx.program.id, kind, &hash, bytes, now)?)
    };
    if kind == "image/svg+xml" {
        // Only what the allow-list lets through is stored, written anew.
        let clean = crate::svg::sanitize(data)
            .map_err(|why| AppError::invalid("body", format!("the SVG picture {why}")))?;
        let id = store(kind, &clean)?;
        return Ok(ImageUploaded::new(id, kind, clean.len(), id));
    }
    // Raster images are decoded and encoded again: what is stored is pixels this code wrote
    // (no metadata, no payload riding in the file), and a copy sized for the member centre.
    let (kind, full, thumb) = reencode(kind, data)?;
    let id = store(kind, &full)?;
    let thumb_id = match thumb {
        Some(t) => store(kind, &t)?,
        None => id,
    };
    tx.set_image_thumb(ctx.program.id, id, thumb_id)?;
    Ok(ImageUploaded::new(id, kind, full.len(), thumb_id))
}
