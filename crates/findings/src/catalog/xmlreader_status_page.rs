//! `xmlreader-status-page`: pfSense's IPsec status page breaks under the
//! alternate xmlreader parser.

use crate::facts::HostFacts;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "xmlreader-status-page",
    family: &RULE,
    severity: Severity::Warning,
    title: "IPsec status page broken by the xmlreader parser",
    explanation: "PHP warns \"Illegal string offset 'type' in /etc/inc/xmlreader.inc\": pfSense is using \
        its alternate xmlreader configuration parser, enabled by the file /cf/conf/use_xmlreader. It reads \
        large config.xml files faster but lacks features other pages need, and the IPsec status page \
        shows errors. The tunnels themselves are not affected.",
    fix: &[
        "Remove /cf/conf/use_xmlreader (Diagnostics > Command Prompt: rm /cf/conf/use_xmlreader); pfSense \
         returns to the default parser at once and the status page works again.",
    ],
    see_also: &[],
    scope: Scope::Host(detect),
    also: &[],
    explained_by: &[],
};

fn detect(facts: &HostFacts) -> Option<Detection> {
    let first = facts.xmlreader_warning.first()?;
    Some(Detection::new(
        format!(
            "PHP logged the xmlreader warning {} time(s): /cf/conf/use_xmlreader is present.",
            facts.xmlreader_warning.len()
        ),
        vec![first.clone()],
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn php_warning_from_the_status_page() {
        let log = "Nov 27 10:00:00 fw1 php-fpm[311]: /status_ipsec.php: Warning: Illegal string offset 'type' in /etc/inc/xmlreader.inc on line 116\n\
                   Warning: Illegal string offset 'type' in /etc/inc/xmlreader.inc on line 116";
        let report = diagnose("system.log", log);
        assert_eq!(ids(&report), ["xmlreader-status-page"]);
    }
}
