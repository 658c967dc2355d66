//! What a fake server did with a call, recorded next to the call itself.

/// How a fake answered one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// The call was well formed and got a success answer (possibly after an injected delay).
    Accepted,
    /// The call broke the wire contract (auth, content type, body, signature); the reason says how.
    Rejected(String),
    /// The call was well formed but the test had programmed a failure, named here.
    Injected(String),
}

impl CallOutcome {
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted)
    }

    pub fn is_rejected(&self) -> bool {
        matches!(self, Self::Rejected(_))
    }
}
