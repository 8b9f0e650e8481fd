//! `xauth-failure`: IKEv1 XAuth user authentication failed.

use ipsec_doctor_events::{CharonEvent, PlutoEvent};

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::pluto::{self, PlutoConnection, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "xauth-failure",
    family: &super::p1_auth_failed::RULE,
    severity: Severity::Error,
    title: "XAuth user authentication failed",
    explanation: "IKEv1 with XAuth (Mutual PSK + Xauth, Mutual RSA + Xauth, Hybrid) authenticates the \
        user after Main/Aggressive Mode. Phase 1 itself succeeded, then the user's name and password were \
        rejected: the server logs \"XAuth authentication of 'alice' failed\" (with xauth-generic also \
        \"none of 1 found XAuth secrets for ... matched\" or \"no XAuth secret found\"; with RADIUS or \
        PAM the backend's rejection) and \"destroying IKE_SA after failed XAuth authentication\"; the \
        client logs \"XAuth authentication of 'alice' (myself) failed\".",
    fix: &[
        "pfSense/OPNsense: check the user in System > User Manager (or the RADIUS/LDAP server selected \
         in VPN > IPsec > Mobile Clients > User Authentication) and the password entered in the client; \
         the user needs the \"User - VPN: IPsec xauth Dialin\" privilege.",
        "strongSwan swanctl.conf: the server's secrets { xauth-<name> { id = <user> secret = ... } } \
         (ipsec.secrets: <user> : XAUTH \"...\") and the client's xauth_id / secret must match; with \
         xauth-eap or xauth-pam the backend decides.",
    ],
    see_also: &[SeeAlso::Rule(&super::eap_failure::RULE), SeeAlso::Rule(&super::p1_auth_failed::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(50, pluto)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let failures: Vec<_> = neg
        .all(|e| matches!(e, CharonEvent::XauthFailed { .. }))
        .collect();
    failures.first()?;
    let mut user = None;
    let mut myself = false;
    for entry in &failures {
        if let CharonEvent::XauthFailed { user: u, myself: m } = &entry.event {
            user = user.or(u.as_deref());
            myself |= *m;
        }
    }
    let who = user.map(|u| format!(" '{u}'")).unwrap_or_default();
    let (summary, peer) = if myself {
        (
            format!(
                "Phase 1 succeeded, then the peer rejected this side's XAuth user{who}: wrong user name or \
                 password (or the user is not allowed to connect)."
            ),
            format!("The peer rejected the XAuth credentials of user{who} that this side sent."),
        )
    } else {
        (
            format!(
                "Phase 1 succeeded, then the XAuth user{who} of the peer{} did not authenticate here: \
                 wrong password, or no such user in this side's XAuth backend.",
                neg.remote
                    .as_ref()
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default()
            ),
            format!(
                "Phase 1 succeeded, then the peer rejected this side's XAuth user{who}: wrong user name or \
                 password."
            ),
        )
    };
    Some(Detection::new(summary, evidence(failures.iter().copied().take(4))).for_peer(peer))
}

/// Phase 1 up, XAuth refused the user.
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    let x = c.find(|e| matches!(e, PlutoEvent::XauthFailed { .. }))?;
    let user = match &x.event {
        PlutoEvent::XauthFailed { user } if !user.is_empty() => format!(" '{user}'"),
        _ => String::new(),
    };
    Some(
        Detection::new(
            format!(
                "Phase 1 of {} is up, but XAuth refused the user{user}: the user name or \
                 password does not match pluto's XAuth password file or PAM. {RUNS_PLUTO}",
                c.conn
            ),
            pluto::evidence(&[c.established, Some(x)]),
        )
        .with_fix(
            "Libreswan: check the user's line in /etc/ipsec.d/passwd (user:crypt-hash:conn) or \
             the PAM setup (xauthby=), and the client's user name and password."
                .to_owned(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const LEFT: &str = include_str!("../../../../fixtures/lab/ikev1-xauth-failure/left.log");
    const RIGHT: &str = include_str!("../../../../fixtures/lab/ikev1-xauth-failure/right.log");

    #[test]
    fn lab_wrong_xauth_password_each_side_alone_and_both() {
        let left = diagnose("left.log", LEFT);
        assert_eq!(ids(&left), ["xauth-failure"]);
        assert!(left.findings[0].summary.contains("'alice'"));
        let right = diagnose("right.log", RIGHT);
        assert_eq!(ids(&right), ["xauth-failure"]);
        assert!(right.findings[0].summary.contains("192.0.2.90"));
        let both = diagnose_files(&[("left.log", LEFT), ("right.log", RIGHT)]);
        assert_eq!(ids(&both), ["xauth-failure"]);
    }
}
