//! SVG pictures through an allow-list: only drawing elements and presentation attributes pass,
//! everything else — scripts, event handlers, `foreignObject`, style sheets and `style`
//! attributes, links out, entities — is dropped, and the picture is written anew from what
//! passed. (The picture is also served with a sandboxing Content-Security-Policy.)

use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};

/// Elements that draw (compared without regard to case).
const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "defs",
    "title",
    "desc",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "path",
    "text",
    "tspan",
    "lineargradient",
    "radialgradient",
    "stop",
    "clippath",
];

/// Geometry and presentation attributes.
const ATTRIBUTES: &[&str] = &[
    "xmlns",
    "version",
    "viewbox",
    "preserveaspectratio",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "dx",
    "dy",
    "d",
    "points",
    "transform",
    "id",
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-miterlimit",
    "opacity",
    "clip-path",
    "clip-rule",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-anchor",
    "dominant-baseline",
    "letter-spacing",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientunits",
    "gradienttransform",
    "fx",
    "fy",
    "spreadmethod",
];

/// A value is kept when it refers to nothing outside the picture: `url(...)` only to `#id`.
fn safe_value(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    if l.contains("javascript:") || l.contains("data:") || l.contains("expression(") {
        return false;
    }
    let mut rest = l.as_str();
    while let Some(i) = rest.find("url(") {
        let target = rest[i + 4..].trim_start_matches(['\'', '"', ' ']);
        if !target.starts_with('#') {
            return false;
        }
        rest = &rest[i + 4..];
    }
    true
}

fn start_tag(e: &BytesStart<'_>, out: &mut String) -> Result<(), String> {
    let name = e.name().into_inner().to_string();
    out.push('<');
    out.push_str(&name);
    for a in e.attributes() {
        let a = a.map_err(|e| format!("a broken attribute: {e}"))?;
        let key = a.key.into_inner().to_string();
        if !ATTRIBUTES.contains(&key.to_ascii_lowercase().as_str()) {
            continue;
        }
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| format!("a broken attribute value: {e}"))?;
        if !safe_value(&value) {
            continue;
        }
        out.push_str(&format!(" {key}=\"{}\"", escape(value.as_ref())));
    }
    Ok(())
}

/// The picture with only what the allow-list lets through, or why it is not an SVG picture.
pub fn sanitize(data: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(data).map_err(|_| "is not UTF-8 text".to_string())?;
    let mut reader = Reader::from_str(text.trim_start_matches('\u{feff}'));
    let mut out = String::with_capacity(data.len());
    // Open elements written (true) or dropped with everything inside them (false).
    let mut open: Vec<bool> = Vec::new();
    let mut root = false;
    loop {
        let inside_dropped = open.iter().any(|kept| !kept);
        match reader
            .read_event()
            .map_err(|e| format!("is not well-formed XML: {e}"))?
        {
            Event::Start(e) => {
                let name = e.local_name().into_inner().to_ascii_lowercase();
                if open.is_empty() {
                    if name != "svg" || root {
                        return Err("does not have one <svg> root".into());
                    }
                    root = true;
                }
                let keep = !inside_dropped && ELEMENTS.contains(&name.as_str());
                if keep {
                    start_tag(&e, &mut out)?;
                    out.push('>');
                }
                open.push(keep);
            }
            Event::Empty(e) => {
                let name = e.local_name().into_inner().to_ascii_lowercase();
                if open.is_empty() {
                    return Err("does not have one <svg> root with content".into());
                }
                if !inside_dropped && ELEMENTS.contains(&name.as_str()) {
                    start_tag(&e, &mut out)?;
                    out.push_str("/>");
                }
            }
            Event::End(e) => {
                if let Some(true) = open.pop() {
                    out.push_str(&format!("</{}>", e.name().into_inner()));
                }
            }
            // Text arrives without its references (they are events of their own).
            Event::Text(t) if !inside_dropped && !open.is_empty() => {
                out.push_str(&escape(&*t));
            }
            // `&amp;` and the like in text: the five of XML and character references are
            // kept; any other entity is dropped (no DTD is read).
            Event::GeneralRef(r) if !inside_dropped && !open.is_empty() => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match &*r {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if let Some(c) = c {
                    out.push_str(&escape(c.to_string().as_str()));
                }
            }
            Event::Eof => break,
            // Declarations, doctypes (and so entities), comments, processing instructions,
            // CDATA: dropped.
            _ => {}
        }
    }
    if !root || !open.is_empty() {
        return Err("does not have one complete <svg> root".into());
    }
    Ok(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_drawing_passes() {
        let dirty = br##"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" viewBox="0 0 10 10"><script>alert(2)</script><rect width="10" height="10" fill="url(#g)" onclick="alert(3)" style="background:url(http://x)"/><a href="javascript:alert(4)"><text x="1" y="5">hi &amp; <tspan>there</tspan></text></a><foreignObject><div>x</div></foreignObject><circle r="2" fill="url(http://evil/x.svg#a)"/><image href="http://evil/x.png"/></svg>"##;
        let clean = String::from_utf8(sanitize(dirty).unwrap()).unwrap();
        assert_eq!(
            clean,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="url(#g)"/><circle r="2"/></svg>"##
        );
        let lower = clean.to_ascii_lowercase();
        for bad in [
            "script",
            "onload",
            "onclick",
            "javascript",
            "foreignobject",
            "style",
            "http://evil",
            "image",
        ] {
            assert!(!lower.contains(bad), "{bad}: {clean}");
        }
        // Text inside kept elements stays, escaped.
        let t = sanitize(br#"<svg><text x="1">a &lt; b</text></svg>"#).unwrap();
        assert_eq!(
            String::from_utf8(t).unwrap(),
            "<svg><text x=\"1\">a &lt; b</text></svg>"
        );
        for broken in [
            &b"<svg><rect></svg>"[..],
            b"<html></html>",
            b"not xml",
            b"<svg/><svg/>",
        ] {
            assert!(
                sanitize(broken).is_err(),
                "{}",
                String::from_utf8_lossy(broken)
            );
        }
    }
}
