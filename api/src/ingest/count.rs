//! Counting the incidents of a body while it streams in, so that an array over
//! `alert.max_incidents_per_request` is refused before it is parsed, let alone stored.
//!
//! This is not a JSON parser: it follows strings (so brackets and commas inside them do not count) and
//! nesting depth, and counts the values that start directly inside a top-level array. A malformed body
//! may be miscounted; the parser that runs afterwards refuses it anyway.

/// Feed it the body chunk by chunk; [`IncidentCounter::count`] is the number of incidents seen so far.
#[derive(Debug, Default)]
pub struct IncidentCounter {
    shape: Shape,
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// Inside the top-level array, after `[` or `,`: the next non-blank byte starts an element.
    awaiting_element: bool,
    count: usize,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum Shape {
    /// Only blanks so far.
    #[default]
    Unknown,
    /// One incident, whatever follows: nothing left to count.
    Single,
    Array,
}

impl IncidentCounter {
    pub fn count(&self) -> usize {
        self.count
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        for &byte in chunk {
            match self.shape {
                Shape::Single => return,
                Shape::Unknown => self.start(byte),
                Shape::Array => self.step(byte),
            }
        }
    }

    fn start(&mut self, byte: u8) {
        if byte.is_ascii_whitespace() {
            return;
        }
        if byte == b'[' {
            self.shape = Shape::Array;
            self.depth = 1;
            self.awaiting_element = true;
        } else {
            self.shape = Shape::Single;
            self.count = 1;
        }
    }

    fn step(&mut self, byte: u8) {
        if self.in_string {
            match byte {
                _ if self.escaped => self.escaped = false,
                b'\\' => self.escaped = true,
                b'"' => self.in_string = false,
                _ => {}
            }
            return;
        }
        if self.depth == 1 && self.awaiting_element && !byte.is_ascii_whitespace() && byte != b']' {
            self.awaiting_element = false;
            self.count += 1;
        }
        match byte {
            b'"' => self.in_string = true,
            b'[' | b'{' => self.depth += 1,
            b']' | b'}' => self.depth = self.depth.saturating_sub(1),
            b',' if self.depth == 1 => self.awaiting_element = true,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_in_chunks(body: &str, chunk: usize) -> usize {
        let mut counter = IncidentCounter::default();
        for part in body.as_bytes().chunks(chunk) {
            counter.feed(part);
        }
        counter.count()
    }

    fn count(body: &str) -> usize {
        let whole = count_in_chunks(body, body.len().max(1));
        // The answer must not depend on where the chunks were cut.
        for size in [1, 2, 3, 7] {
            assert_eq!(
                count_in_chunks(body, size),
                whole,
                "{body:?} in chunks of {size}"
            );
        }
        whole
    }

    #[test]
    fn an_object_is_one_incident() {
        assert_eq!(count(r#"  {"a": [1, 2, {"b": 3}]}"#), 1);
        assert_eq!(count(""), 0);
        assert_eq!(count("   "), 0);
    }

    #[test]
    fn counts_the_elements_of_a_top_level_array() {
        assert_eq!(count("[]"), 0);
        assert_eq!(count(" [ ] "), 0);
        assert_eq!(count(r#"[{"a":1}]"#), 1);
        assert_eq!(count(r#"[ {"a":1} , {"b":[1,2,3]},{}]"#), 3);
        assert_eq!(count("[\n{},\n{},\n{}\n]"), 3);
        // Elements that are not objects count too: the parser refuses them afterwards.
        assert_eq!(count("[1, 2, 3]"), 3);
    }

    #[test]
    fn brackets_commas_and_quotes_inside_strings_do_not_count() {
        assert_eq!(count(r#"[{"a":"],[{,"}, {"b":"\"],["}]"#), 2);
        assert_eq!(count(r#"[{"a":"\\"}, {}]"#), 2);
        assert_eq!(count(r#"["x,y", "\\\"", "[{"]"#), 3);
    }

    #[test]
    fn a_huge_array_is_counted_as_it_arrives() {
        let body = format!("[{}]", vec!["{}"; 300_000].join(","));
        let mut counter = IncidentCounter::default();
        counter.feed(&body.as_bytes()[..1000]);
        assert!(counter.count() > 300, "{}", counter.count());
        assert_eq!(count_in_chunks(&body, 4096), 300_000);
    }
}
