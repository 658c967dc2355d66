//! Every key the configuration tree has, read off the [`Settings`](super::Settings) type itself, so that a
//! field is known the moment it is added to a settings struct: there is no list to keep in step.
//!
//! [`KnownKeys::of`] runs the type's `Deserialize` against a probe that answers every request with a
//! placeholder and writes down the field names each struct asks for (serde's derive passes them to
//! `deserialize_struct`). It serves the "did you mean" of an unknown key; which keys are unknown is decided
//! while the real file deserializes (see `unread_keys`).

use crate::domain::spelling::closest;
use serde::de::value::{Error, SeqDeserializer};
use serde::de::{DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::Deserializer;
use std::collections::BTreeMap;

/// The structs of the configuration tree by dotted path (`""` for the top), each with its field names.
#[derive(Debug, Default)]
pub struct KnownKeys {
    structs: BTreeMap<String, &'static [&'static str]>,
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn leaf(path: &str) -> &str {
    path.rsplit_once('.').map_or(path, |(_, leaf)| leaf)
}

impl KnownKeys {
    /// The keys of `T`'s tree. A type whose `Deserialize` refuses the probe's placeholders is walked up to
    /// that point: its remaining keys go unlisted, which costs only suggestions.
    pub fn of<T: DeserializeOwned>() -> Self {
        let mut known = KnownKeys::default();
        let _ = T::deserialize(Probe {
            path: String::new(),
            known: &mut known,
        });
        known
    }

    /// Every key, as a dotted path.
    pub fn paths(&self) -> impl Iterator<Item = String> + '_ {
        self.structs
            .iter()
            .flat_map(|(parent, fields)| fields.iter().map(move |field| join(parent, field)))
    }

    /// The known key an unknown one was most likely meant to be: a near spelling beside it, else the same or
    /// a near name in another section (`alert.wait_minutes` → `oncall.wait_minutes`).
    pub fn suggestion(&self, unknown: &str) -> Option<String> {
        let (parent, name) = unknown.rsplit_once('.').unwrap_or(("", unknown));
        if let Some(fields) = self.structs.get(parent) {
            if let Some(field) = closest(name, fields.iter().copied()) {
                return Some(join(parent, field));
            }
        }
        let paths: Vec<String> = self.paths().collect();
        let nearest = closest(name, paths.iter().map(|path| leaf(path)))?;
        paths.iter().find(|path| leaf(path) == nearest).cloned()
    }
}

/// Answers a `Deserialize` impl with placeholders, noting each struct's fields on the way.
struct Probe<'a> {
    path: String,
    known: &'a mut KnownKeys,
}

/// A struct's fields, each answered by a probe one level down.
struct ProbeFields<'a> {
    path: String,
    fields: std::slice::Iter<'static, &'static str>,
    current: &'static str,
    known: &'a mut KnownKeys,
}

impl<'de> MapAccess<'de> for ProbeFields<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(field) = self.fields.next() else {
            return Ok(None);
        };
        self.current = field;
        seed.deserialize((*field).into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(Probe {
            path: join(&self.path, self.current),
            known: &mut *self.known,
        })
    }
}

/// An empty map or sequence.
fn nothing() -> SeqDeserializer<std::iter::Empty<()>, Error> {
    SeqDeserializer::new(std::iter::empty())
}

struct EmptyMap;

impl<'de> MapAccess<'de> for EmptyMap {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, _: K) -> Result<Option<K::Value>, Error> {
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, _: V) -> Result<V::Value, Error> {
        Err(serde::de::Error::custom("an empty map has no values"))
    }
}

/// Placeholder scalars: `1` rather than `0` and `"x"` rather than `""`, which a validating type is likelier
/// to accept.
macro_rules! placeholder {
    ($($method:ident => $visit:ident($($value:expr)?);)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.$visit($($value)?)
        })*
    };
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Error;

    placeholder! {
        deserialize_any => visit_unit();
        deserialize_bool => visit_bool(false);
        deserialize_i8 => visit_i8(1);
        deserialize_i16 => visit_i16(1);
        deserialize_i32 => visit_i32(1);
        deserialize_i64 => visit_i64(1);
        deserialize_u8 => visit_u8(1);
        deserialize_u16 => visit_u16(1);
        deserialize_u32 => visit_u32(1);
        deserialize_u64 => visit_u64(1);
        deserialize_f32 => visit_f32(1.0);
        deserialize_f64 => visit_f64(1.0);
        deserialize_char => visit_char('x');
        deserialize_str => visit_str("x");
        deserialize_string => visit_str("x");
        deserialize_bytes => visit_bytes(b"x");
        deserialize_byte_buf => visit_bytes(b"x");
        deserialize_unit => visit_unit();
        deserialize_identifier => visit_str("x");
        deserialize_ignored_any => visit_unit();
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(nothing())
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(nothing())
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_seq(nothing())
    }

    /// A map's keys are free (response plan names, severities): nothing to note.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(EmptyMap)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.known.structs.insert(self.path.clone(), fields);
        visitor.visit_map(ProbeFields {
            path: self.path,
            fields: fields.iter(),
            current: "",
            known: self.known,
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let first = variants.first().copied().unwrap_or_default();
        visitor.visit_enum(IntoDeserializer::<Error>::into_deserializer(first))
    }
}

#[cfg(test)]
mod tests {
    use super::KnownKeys;
    use crate::infra::config::Settings;

    #[test]
    fn lists_the_keys_of_every_settings_struct() {
        let known = KnownKeys::of::<Settings>();
        let paths: Vec<String> = known.paths().collect();
        for key in [
            "name",
            "alert.body_limit_bytes",
            "alert.slack.message_properties.button_style",
            "oncall.aws_incident_manager.default_impact",
            "redis.compress_payloads",
            "queue.notify.max_attempts",
            "queue.aws_resolve.backoff_max_ms",
            "worker.redis_down_exit_seconds",
        ] {
            assert!(
                paths.iter().any(|p| p == key),
                "{key} missing from {paths:?}"
            );
        }
    }

    #[test]
    fn suggests_a_sibling_first_then_the_same_name_elsewhere() {
        let known = KnownKeys::of::<Settings>();
        let suggest = |key: &str| known.suggestion(key);
        assert_eq!(
            suggest("oncall.wait_minute").as_deref(),
            Some("oncall.wait_minutes")
        );
        assert_eq!(suggest("alert.slak").as_deref(), Some("alert.slack"));
        assert_eq!(
            suggest("alert.wait_minutes").as_deref(),
            Some("oncall.wait_minutes")
        );
        assert_eq!(suggest("completely_unrelated"), None);
    }
}
