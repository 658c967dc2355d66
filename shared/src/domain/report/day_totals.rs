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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayTotals {
    pub day: i64,
    pub counters: HashMap<String, i64>,
    pub acks: Vec<AckSample>,
    pub resolves: Vec<ResolveSample>,
}

impl DayTotals {
    /// Reads a day from its stored counters and samples text. A sample line that does not parse (which
    /// no release writes) is skipped rather than failing the whole report.
    pub fn parse(day: i64, counters: HashMap<String, i64>, samples: &str) -> Self {
        let mut totals = DayTotals {
            day,
            counters,
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
        let counters = HashMap::from([
            ("total".to_string(), 3),
            ("sev:critical".to_string(), 2),
            ("sev:".to_string(), 1),
            ("noise:alert:DiskFull".to_string(), 1),
        ]);
        let day = DayTotals::parse(
            7,
            counters,
            "a\t1500\tslack\tdb\tslack:U1\nr\t9000\t\nbroken line\na\tNaN\tlink\t\t\n",
        );
        assert_eq!(day.counter("total"), 3);
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
