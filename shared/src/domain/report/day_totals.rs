//! One day's totals as the Lua helpers store them: counters in `{prefix}report:day:{day}` and the
//! time-to-ack and time-to-resolve samples in `{prefix}report:times:{day}`.

use std::collections::HashMap;

/// An acknowledgement made in Versus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckSample {
    /// From the incident's opening to the ack.
    pub ms: i64,
    /// `link` or `slack`.
    pub via: String,
    pub team: String,
    /// Empty for a link ack that gave no name; `slack:U…` for a Slack ack.
    pub person: String,
}

/// A resolve (an incident closed unresolved has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveSample {
    pub ms: i64,
    pub team: String,
}

/// The labels an incident is counted under: one counter per distinct group and day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LabelGroup {
    pub severity: String,
    pub route: String,
    pub team: String,
    pub alertname: String,
}

impl LabelGroup {
    /// The counter's name, as the Lua helpers write it: `g:` and each label length-prefixed (`5:db-01`),
    /// since a label may hold any character.
    pub fn field(&self) -> String {
        let mut field = String::from("g:");
        for part in [&self.severity, &self.route, &self.team, &self.alertname] {
            field.push_str(&format!("{}:{part}", part.len()));
        }
        field
    }

    fn parse(field: &str) -> Option<Self> {
        let mut rest = field.strip_prefix("g:")?;
        let mut parts = Vec::with_capacity(4);
        for _ in 0..4 {
            let (len, tail) = rest.split_once(':')?;
            let len: usize = len.parse().ok()?;
            parts.push(tail.get(..len)?.to_string());
            rest = tail.get(len..)?;
        }
        let [severity, route, team, alertname] = <[String; 4]>::try_from(parts).ok()?;
        rest.is_empty().then_some(Self {
            severity,
            route,
            team,
            alertname,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayTotals {
    pub day: i64,
    pub counters: HashMap<String, i64>,
    /// The incidents opened this day, by their labels.
    pub groups: Vec<(LabelGroup, i64)>,
    pub acks: Vec<AckSample>,
    pub resolves: Vec<ResolveSample>,
}

impl DayTotals {
    /// Reads a day from its stored counters and samples text. A sample line that does not parse (which
    /// no release writes) is skipped rather than failing the whole report.
    pub fn parse(day: i64, counters: HashMap<String, i64>, samples: &str) -> Self {
        let groups = counters
            .iter()
            .filter_map(|(name, count)| LabelGroup::parse(name).map(|group| (group, *count)))
            .collect();
        let mut totals = DayTotals {
            day,
            counters,
            groups,
            ..Default::default()
        };
        for line in samples.lines() {
            let parts: Vec<&str> = line.split('\t').collect();
            match parts.as_slice() {
                ["a", ms, via, team, person] => {
                    if let Ok(ms) = ms.parse() {
                        totals.acks.push(AckSample {
                            ms,
                            via: via.to_string(),
                            team: team.to_string(),
                            person: person.to_string(),
                        });
                    }
                }
                ["r", ms, team] => {
                    if let Ok(ms) = ms.parse() {
                        totals.resolves.push(ResolveSample {
                            ms,
                            team: team.to_string(),
                        });
                    }
                }
                _ => {}
            }
        }
        totals
    }

    pub fn counter(&self, name: &str) -> i64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    /// The counters under `prefix:`, by the rest of their name (a label value).
    pub fn labelled<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, i64)> + 'a {
        self.counters.iter().filter_map(move |(name, count)| {
            name.strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix(':'))
                .map(|label| (label, *count))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_and_labelled_counters_are_read() {
        let group = LabelGroup {
            severity: "critical".into(),
            route: "r:1".into(),
            team: "".into(),
            alertname: "Disk Full ✓".into(),
        };
        let counters = HashMap::from([
            ("hb_miss".to_string(), 3),
            ("sev:critical".to_string(), 2),
            ("sev:".to_string(), 1),
            ("noise:alert:DiskFull".to_string(), 1),
            (group.field(), 4),
            ("g:3:abc".to_string(), 9),
            ("g:99:x0:0:0:".to_string(), 9),
        ]);
        let day = DayTotals::parse(
            7,
            counters,
            "a\t1500\tslack\tdb\tslack:U1\nr\t9000\t\nbroken line\na\tNaN\tlink\t\t\n",
        );
        assert_eq!(day.counter("hb_miss"), 3);
        assert_eq!(
            day.groups,
            vec![(group, 4)],
            "malformed group counters are skipped"
        );
        assert_eq!(day.counter("acked"), 0);
        let mut severities: Vec<_> = day.labelled("sev").collect();
        severities.sort();
        assert_eq!(severities, vec![("", 1), ("critical", 2)]);
        assert_eq!(
            day.labelled("noise:alert").collect::<Vec<_>>(),
            vec![("DiskFull", 1)]
        );
        assert_eq!(day.acks.len(), 1);
        assert_eq!(day.acks[0].person, "slack:U1");
        assert_eq!(
            day.resolves,
            vec![ResolveSample {
                ms: 9000,
                team: String::new()
            }]
        );
    }
}
