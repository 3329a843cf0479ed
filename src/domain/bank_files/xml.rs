//! A small, bounded reading of an XML file into a tree: no DTD (refused),
//! no entity expansion beyond XML's five, at most [`MAX_DEPTH`] levels and
//! [`MAX_ELEMENTS`] elements; every error names the line.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::FileError;

/// The deepest nesting read (ISO 20022 statements need about 12).
pub const MAX_DEPTH: usize = 40;
/// The most elements read.
pub const MAX_ELEMENTS: usize = 500_000;

/// An element: its local name (no prefix), attributes, text and children.
#[derive(Debug, Clone, Default)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
    /// Where it starts (1-based).
    pub line: usize,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a path of child names.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |e, name| e.child(name))
    }

    /// The trimmed text at a path, if any.
    pub fn text_at(&self, path: &[&str]) -> Option<String> {
        self.at(path)
            .map(|e| e.text.trim().to_owned())
            .filter(|t| !t.is_empty())
    }

    /// An attribute's value.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: u64) -> usize {
    let end = (offset as usize).min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Reads `text` as one XML document: its root element.
pub fn parse(text: &str) -> Result<Element, FileError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    let at = |reader: &Reader<&[u8]>| line_of(text, reader.buffer_position());
    loop {
        let event = reader.read_event().map_err(|e| FileError {
            locator: format!("line {}", line_of(text, reader.error_position())),
            message: format!("not well-formed XML: {e}"),
        })?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(FileError::at(at(&reader), "content after the root element"));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(FileError::at(
                        at(&reader),
                        format!("more than {MAX_ELEMENTS} elements"),
                    ));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(FileError::at(
                        at(&reader),
                        format!("nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let mut element = Element {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    line: at(&reader),
                    ..Element::default()
                };
                for attribute in e.attributes() {
                    let attribute = attribute.map_err(|err| {
                        FileError::at(at(&reader), format!("a malformed attribute: {err}"))
                    })?;
                    let value = attribute.unescape_value().map_err(|err| {
                        FileError::at(at(&reader), format!("a malformed attribute: {err}"))
                    })?;
                    let key = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
                    element.attributes.push((key, value.into_owned()));
                }
                let empty = matches!(event, Event::Empty(_));
                if empty {
                    close(&mut stack, &mut root, element);
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| FileError::at(at(&reader), "an end tag without a start"))?;
                close(&mut stack, &mut root, element);
            }
            Event::Text(t) => {
                let text = t
                    .unescape()
                    .map_err(|err| FileError::at(at(&reader), format!("malformed text: {err}")))?;
                match stack.last_mut() {
                    Some(open) => open.text.push_str(&text),
                    None => {
                        return Err(FileError::at(at(&reader), "text outside the root element"))
                    }
                }
            }
            Event::CData(c) => {
                if let Some(open) = stack.last_mut() {
                    open.text
                        .push_str(&String::from_utf8_lossy(&c.into_inner()));
                }
            }
            Event::DocType(_) => {
                return Err(FileError::at(
                    at(&reader),
                    "a DOCTYPE is not accepted (bank files have none)",
                ));
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(FileError::at(
            line_of(text, text.len() as u64),
            format!("<{}> is not closed", open.name),
        ));
    }
    root.ok_or_else(|| FileError::at(1, "no root element: not an XML file"))
}

fn close(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_is_read_with_lines_and_local_names() {
        let root = parse("<?xml version=\"1.0\"?>\n<a:Doc xmlns:a=\"urn:x\">\n<B k=\"v\">t &amp; u</B><C/></a:Doc>").unwrap();
        assert_eq!(root.name, "Doc");
        assert_eq!(root.attribute("xmlns:a"), Some("urn:x"));
        assert_eq!(root.text_at(&["B"]).as_deref(), Some("t & u"));
        assert_eq!(root.child("B").unwrap().line, 3);
        assert!(root.child("C").is_some());
    }

    #[test]
    fn hostile_or_broken_files_are_refused_naming_the_line() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&deep).unwrap_err().message.contains("deeper"));
        let bomb = "<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>\n<lolz>&lol;</lolz>";
        assert!(parse(bomb).unwrap_err().message.contains("DOCTYPE"));
        let broken = parse("<a>\n<b></a>").unwrap_err();
        assert_eq!(broken.locator, "line 2", "{broken:?}");
        assert!(parse("date,amount\n1,2").is_err());
        assert!(parse("").is_err());
        assert!(parse("<a/><b/>").is_err());
    }
}
