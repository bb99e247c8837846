//! The process's links to other systems: DNS resolvers (`show resolvers`) and the peers that
//! share its stick tables (`show peers`).

use super::Command;
use super::args::SectionName;

impl Command {
    /// `show resolvers [<section>]`: every nameserver's counters.
    pub fn show_resolvers(section: Option<&SectionName>) -> Self {
        let mut words = vec!["show", "resolvers"];
        words.extend(section.map(SectionName::as_str));
        Self::read(words)
    }

    /// `show peers [<section>]`: every peer's session state and shared tables.
    pub fn show_peers(section: Option<&SectionName>) -> Self {
        let mut words = vec!["show", "peers"];
        words.extend(section.map(SectionName::as_str));
        Self::read(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let s = SectionName::new("localdns").unwrap();
        assert_eq!(Command::show_resolvers(None).to_string(), "show resolvers");
        assert_eq!(
            Command::show_resolvers(Some(&s)).to_string(),
            "show resolvers localdns"
        );
        assert_eq!(
            Command::show_peers(Some(&s)).to_string(),
            "show peers localdns"
        );
        assert!(!Command::show_peers(None).is_mutation());
    }
}
