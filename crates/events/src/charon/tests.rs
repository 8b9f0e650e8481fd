use super::*;

/// Parses, and checks the prefilter's contract on the way: whatever is
/// recognised passes `may_matter`, so the sieve never skips it.
fn p(m: &str) -> CharonEvent {
    let event = parse_charon(m);
    assert!(
        event == CharonEvent::Unrecognized || crate::may_matter(m),
        "recognised but the prefilter would skip it: {m}"
    );
    event
}

#[test]
fn ike_sa_established_names_both_ends() {
    let e = p(
        "IKE_SA con2000[11] established between 192.0.2.90[192.0.2.90]...192.0.2.74[192.0.2.74]",
    );
    let CharonEvent::IkeSaEstablished { sa, local, remote } = e else {
        panic!("{e:?}")
    };
    assert_eq!((sa.name.as_str(), sa.unique_id), ("con2000", Some(11)));
    assert_eq!(
        (local.addr.as_str(), local.id.as_str()),
        ("192.0.2.90", "192.0.2.90")
    );
    assert_eq!(remote.addr, "192.0.2.74");
}

#[test]
fn ike_sa_established_with_dn_identity() {
    let e = p("IKE_SA gw[3] established between 192.0.2.1[C=CH, O=Lab, CN=moon]...192.0.2.2[C=CH, O=Lab, CN=sun]");
    let CharonEvent::IkeSaEstablished { local, remote, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(local.id, "C=CH, O=Lab, CN=moon");
    assert_eq!(remote.id, "C=CH, O=Lab, CN=sun");
}

#[test]
fn child_sa_established_keeps_traffic_selectors() {
    let e = p("CHILD_SA con2000{2} established with SPIs cf4973bf_i c1cbfdf2_o and TS 192.168.48.0/24|/0 === 10.42.42.0/24|/0");
    assert_eq!(
        e,
        CharonEvent::ChildSaEstablished {
            name: "con2000".into(),
            unique_id: Some(2),
            local_ts: "192.168.48.0/24|/0".into(),
            remote_ts: "10.42.42.0/24|/0".into(),
        }
    );
}

#[test]
fn notifies_in_ikev1_and_ikev2_wording() {
    assert_eq!(
        p("received NO_PROPOSAL_CHOSEN error notify"),
        CharonEvent::NotifyReceived(Notify::NoProposalChosen)
    );
    assert_eq!(
        p("received AUTHENTICATION_FAILED notify error"),
        CharonEvent::NotifyReceived(Notify::AuthenticationFailed)
    );
    assert_eq!(
        p("received TS_UNACCEPTABLE notify, no CHILD_SA built"),
        CharonEvent::ChildNotifyReceived(Notify::TsUnacceptable)
    );
    assert_eq!(
        p("received INVALID_ID_INFORMATION error notify"),
        CharonEvent::NotifyReceived(Notify::InvalidIdInformation)
    );
}

#[test]
fn payload_lists_carry_short_notify_names() {
    let e = p("parsed INFORMATIONAL_V1 request 3851683074 [ N(NO_PROP) ]");
    let CharonEvent::Message {
        direction,
        exchange,
        request,
        payloads,
    } = e
    else {
        panic!()
    };
    assert_eq!(direction, Direction::Received);
    assert_eq!(exchange, "INFORMATIONAL_V1");
    assert!(request);
    assert_eq!(payloads.iter().collect::<Vec<_>>(), ["N(NO_PROP)"]);
}

#[test]
fn no_acceptable_transform_in_old_and_new_wording() {
    assert_eq!(
        p("  no acceptable ENCRYPTION_ALGORITHM found"),
        CharonEvent::NoAcceptableTransform(TransformKind::Encryption)
    );
    assert_eq!(
        p("no acceptable DIFFIE_HELLMAN_GROUP found"),
        CharonEvent::NoAcceptableTransform(TransformKind::KeyExchange)
    );
    assert_eq!(
        p("no acceptable KEY_EXCHANGE_METHOD found"),
        CharonEvent::NoAcceptableTransform(TransformKind::KeyExchange)
    );
    assert_eq!(
        p("no acceptable INTEGRITY_ALGORITHM found"),
        CharonEvent::NoAcceptableTransform(TransformKind::Integrity)
    );
}

#[test]
fn proposal_failures() {
    assert_eq!(p("no proposal found"), CharonEvent::NoProposalFound);
    assert_eq!(
        p("received proposals unacceptable"),
        CharonEvent::NoProposalFound
    );
    assert_eq!(
        p("no acceptable proposal found"),
        CharonEvent::NoProposalFound
    );
    assert_eq!(
        p("no matching proposal found, sending NO_PROPOSAL_CHOSEN"),
        CharonEvent::NoMatchingChildProposal
    );
}

#[test]
fn psk_failures() {
    assert_eq!(
        p("invalid HASH_V1 payload length, decryption failed?"),
        CharonEvent::InvalidPayloadLength {
            payload: "HASH_V1".into()
        }
    );
    assert_eq!(
        p("could not decrypt payloads"),
        CharonEvent::CouldNotDecrypt
    );
    assert_eq!(
        p("tried 1 shared key for 'left' - 'right', but MAC mismatched"),
        CharonEvent::PskMacMismatch { tried: 1 }
    );
}

#[test]
fn peer_config_lookups() {
    let e = p("looking for pre-shared key peer configs matching 192.0.2.74...192.0.2.90[someid]");
    assert_eq!(
        e,
        CharonEvent::LookingForPeerConfigs {
            local: "192.0.2.74".into(),
            local_id: None,
            remote: "192.0.2.90".into(),
            remote_id: Some("someid".into())
        }
    );
    let e = p("looking for peer configs matching 192.0.2.74[right]...192.0.2.90[left@example.org]");
    let CharonEvent::LookingForPeerConfigs { remote_id, .. } = e else {
        panic!()
    };
    assert_eq!(remote_id.as_deref(), Some("left@example.org"));
    assert_eq!(p("no peer config found"), CharonEvent::NoPeerConfig);
    assert_eq!(
        p("no matching peer config found"),
        CharonEvent::NoPeerConfig
    );
}

#[test]
fn nat_identity_mismatch() {
    assert_eq!(
        p("IDir '192.0.2.10' does not match to '203.0.113.245'"),
        CharonEvent::IdirMismatch {
            received: "192.0.2.10".into(),
            expected: "203.0.113.245".into()
        }
    );
    assert_eq!(p("remote host is behind NAT"), CharonEvent::RemoteBehindNat);
}

#[test]
fn traffic_selector_lists() {
    assert_eq!(
        p("proposing traffic selectors for us:"),
        CharonEvent::TsListHeader { for_us: true }
    );
    assert_eq!(
        p(" 192.168.48.0/24|/0"),
        CharonEvent::TsListItem("192.168.48.0/24|/0".into())
    );
    assert_eq!(
        p("10.0.0.1/32[udp/500]"),
        CharonEvent::TsListItem("10.0.0.1/32[udp/500]".into())
    );
    assert_eq!(
        p("2001:db8::/64"),
        CharonEvent::TsListItem("2001:db8::/64".into())
    );
    assert_eq!(
        p("no matching CHILD_SA config found"),
        CharonEvent::NoMatchingChildConfig
    );
    assert_eq!(
        p("traffic selectors 10.42.43.0/24 === 192.168.48.0/24 unacceptable"),
        CharonEvent::TsUnacceptable {
            local_ts: "10.42.43.0/24".into(),
            remote_ts: "192.168.48.0/24".into()
        }
    );
}

#[test]
fn retransmits_and_giving_up() {
    assert_eq!(
        p("retransmit 3 of request with message ID 0"),
        CharonEvent::Retransmit {
            count: 3,
            message_id: Some(0)
        }
    );
    assert_eq!(
        p("sending retransmit 2 of request message ID 0, seq 1"),
        CharonEvent::Retransmit {
            count: 2,
            message_id: Some(0)
        }
    );
    assert_eq!(
        p("giving up after 5 retransmits"),
        CharonEvent::GivingUp { retransmits: 5 }
    );
    assert_eq!(
        p("establishing IKE_SA failed, peer not responding"),
        CharonEvent::PeerNotResponding
    );
}

#[test]
fn initiation_modes() {
    let CharonEvent::InitiatingIkeSa { mode, remote, .. } =
        p("initiating Aggressive Mode IKE_SA con2000[1] to 192.0.2.74")
    else {
        panic!()
    };
    assert_eq!(
        (mode, remote.as_str()),
        (ExchangeMode::Aggressive, "192.0.2.74")
    );
    assert_eq!(
        p("192.0.2.90 is initiating a Main Mode IKE_SA"),
        CharonEvent::PeerInitiating {
            remote: "192.0.2.90".into(),
            mode: ExchangeMode::Main
        }
    );
    assert_eq!(
        p("Aggressive Mode PSK disabled for security reasons"),
        CharonEvent::AggressivePskDisabled
    );
}

#[test]
fn lifetimes_and_kernel() {
    assert_eq!(
        p("received 3600s lifetime, configured 28800s"),
        CharonEvent::LifetimeDiffers {
            received: 3600,
            configured: 28800
        }
    );
    assert_eq!(
        p("received lifetime 3600s does not match configured lifetime 28800s"),
        CharonEvent::LifetimeDiffers {
            received: 3600,
            configured: 28800
        }
    );
    assert_eq!(
        p("scheduling rekeying in 13525s"),
        CharonEvent::SchedulingRekey {
            reauth: false,
            seconds: 13525
        }
    );
    assert!(matches!(
        p("unable to install inbound and outbound IPsec SA (SAD) in kernel"),
        CharonEvent::SaInstallFailed { .. }
    ));
}

#[test]
fn unrelated_text_is_unrecognized() {
    for m in [
        "",
        "hello world",
        "received",
        "IKE_SA",
        "initiating",
        "giving up after many retransmits",
        "CHILD_SA x{",
        "IDir 'a",
    ] {
        assert_eq!(p(m), CharonEvent::Unrecognized, "{m}");
    }
}

#[test]
fn strongswan_5_9_wordings_seen_in_the_lab() {
    assert_eq!(
        p("found 1 matching config, but none allows pre-shared key authentication using Aggressive Mode"),
        CharonEvent::AggressivePskDisabled
    );
    assert_eq!(
        p("no matching CHILD_SA config found for 192.168.48.0/24 === 10.42.43.0/24"),
        CharonEvent::NoMatchingChildConfig
    );
    assert_eq!(
        p("received DELETE for IKE_SA gw-gw[1]"),
        CharonEvent::DeleteReceived
    );
    assert_eq!(
        p("Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.1.0, x86_64)"),
        CharonEvent::DaemonStarting
    );
    let CharonEvent::LookingForPeerConfigs { local_id, .. } =
        p("looking for peer configs matching 192.0.2.10[203.0.113.245]...198.51.100.50[198.51.100.50]")
    else {
        panic!()
    };
    assert_eq!(local_id.as_deref(), Some("203.0.113.245"));
}

#[test]
fn certificate_failures_in_strongswan_5_9_wording() {
    assert_eq!(
        p("no trusted RSA public key found for 'left.lab.example'"),
        CharonEvent::NoTrustedPublicKey {
            key_type: "RSA".into(),
            id: "left.lab.example".into()
        }
    );
    assert_eq!(
        p("no issuer certificate found for \"C=CH, O=ipsec-doctor lab, CN=left.lab.example\""),
        CharonEvent::NoIssuerCert {
            subject: "C=CH, O=ipsec-doctor lab, CN=left.lab.example".into()
        }
    );
    assert_eq!(
        p("  issuer is \"C=CH, O=ipsec-doctor lab, CN=Branch CA\""),
        CharonEvent::IssuerIs("C=CH, O=ipsec-doctor lab, CN=Branch CA".into())
    );
    assert_eq!(
        p("  self-signed certificate \"CN=x\" is not trusted"),
        CharonEvent::UntrustedSelfSigned {
            subject: "CN=x".into()
        }
    );
    assert_eq!(
        p("subject certificate invalid (valid from Jan 01 00:00:00 2022 to Jan 01 00:00:00 2023)"),
        CharonEvent::CertificateInvalid {
            which: "subject".into(),
            not_before: "Jan 01 00:00:00 2022".into(),
            not_after: "Jan 01 00:00:00 2023".into()
        }
    );
    assert_eq!(
        p("  crl is stale: since Jan 01 00:00:00 2023"),
        CharonEvent::CrlStale {
            since: "Jan 01 00:00:00 2023".into()
        }
    );
    assert_eq!(
        p("constraint check failed: identity 'x' required "),
        CharonEvent::ConstraintCheckFailed("identity 'x' required".into())
    );
    assert_eq!(
        p("received end entity cert \"CN=branch1.lab.example\""),
        CharonEvent::ReceivedEndEntityCert("CN=branch1.lab.example".into())
    );
    assert_eq!(
        p("  using certificate \"CN=left\""),
        CharonEvent::UsingCertificate("CN=left".into())
    );
    assert_eq!(
        p("no private key found for 'left.lab.example'"),
        CharonEvent::NoPrivateKey {
            id: "left.lab.example".into()
        }
    );
    // A trusted CA is not the peer's certificate.
    assert_eq!(
        p("  using trusted ca certificate \"CN=Lab Root CA\""),
        CharonEvent::Unrecognized
    );
}

#[test]
fn eap_and_xauth_failures() {
    use crate::EapFailureKind as K;
    let eap = |kind, method: Option<&str>, user: Option<&str>| CharonEvent::EapFailure {
        kind,
        method: method.map(Into::into),
        user: user.map(Into::into),
    };
    assert_eq!(
        p("EAP-MS-CHAPv2 verification failed, retry (1)"),
        eap(K::Credentials, Some("EAP_MSCHAPV2"), None)
    );
    assert_eq!(
        p("EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE: '(null)'"),
        eap(K::Credentials, Some("EAP_MSCHAPV2"), None)
    );
    assert_eq!(
        p("EAP_MSCHAPV2 method failed"),
        eap(K::Failed, Some("EAP_MSCHAPV2"), None)
    );
    assert_eq!(
        p("EAP method EAP_MD5 failed for peer alice"),
        eap(K::Credentials, Some("EAP_MD5"), Some("alice"))
    );
    assert_eq!(
        p("requesting EAP_MD5 authentication, sending EAP_NAK"),
        eap(K::MethodRefused, Some("EAP_MD5"), None)
    );
    assert_eq!(
        p("RADIUS Access-Request timed out after 3 attempts"),
        eap(K::RadiusUnreachable, None, None)
    );
    assert_eq!(
        p("retransmit 1 of RADIUS Access-Request (timeout: 2.0s)"),
        eap(K::RadiusUnreachable, None, None)
    );
    assert_eq!(
        p("RADIUS authentication of 'alice' failed"),
        eap(K::RadiusRejected, None, Some("alice"))
    );
    assert_eq!(
        p("XAuth authentication of 'alice' (myself) failed"),
        CharonEvent::XauthFailed {
            user: Some("alice".into()),
            myself: true
        }
    );
    assert_eq!(
        p("XAuth authentication of 'alice' failed"),
        CharonEvent::XauthFailed {
            user: Some("alice".into()),
            myself: false
        }
    );
    assert_eq!(
        p("none of 1 found XAuth secrets for '192.0.2.74' - 'alice' matched"),
        CharonEvent::XauthFailed {
            user: Some("alice".into()),
            myself: false
        }
    );
    assert_eq!(
        p("XAuth authentication of 'alice' (myself) successful"),
        CharonEvent::Unrecognized
    );
}

#[test]
fn ike_versions() {
    assert_eq!(
        p("looking for an IKEv1 config for 192.0.2.74...192.0.2.90"),
        CharonEvent::LookingForIkeConfig { version: 1 }
    );
    assert_eq!(
        p("looking for an IKEv2 config for 192.0.2.90...192.0.2.74"),
        CharonEvent::LookingForIkeConfig { version: 2 }
    );
    assert_eq!(
        p("received unsupported IKE version 1.0 from 192.0.2.90, sending INVALID_MAJOR_VERSION"),
        CharonEvent::UnsupportedIkeVersion {
            version: "1.0".into(),
            from: "192.0.2.90".into()
        }
    );
    assert_eq!(
        crate::packet_bytes(
            "sending packet: from 192.0.2.90[4500] to 192.0.2.74[4500] (2960 bytes)"
        ),
        Some(2960)
    );
}

#[test]
fn payload_lists_read_the_same_however_they_are_spaced() {
    for list in ["SA KE No", " SA  KE\tNo ", "SA KE No "] {
        let payloads = Payloads::from_list(list);
        assert_eq!(
            payloads.iter().collect::<Vec<_>>(),
            ["SA", "KE", "No"],
            "{list:?}"
        );
        assert_eq!(payloads, Payloads::from_list("SA KE No"));
    }
}

#[test]
fn a_rekey_put_off_for_a_retry_is_told_from_a_failed_one() {
    assert_eq!(
        p("CHILD_SA rekeying failed, trying again in 13 seconds"),
        CharonEvent::RekeyRetry { seconds: 13 }
    );
    assert_eq!(
        p("IKE_SA rekeying failed, trying again in 9 seconds"),
        CharonEvent::RekeyRetry { seconds: 9 }
    );
    assert_eq!(
        p("rekeying IKE_SA failed, peer not responding"),
        CharonEvent::RekeyFailed
    );
    assert_eq!(p("CHILD_SA rekeying failed"), CharonEvent::RekeyFailed);
}

#[test]
fn every_front_end_s_start_line_is_a_daemon_start() {
    for line in [
        "Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.1.0, x86_64)",
        // recorded: Debian 13's charon-systemd, lab/run --strongswan 6.0.1
        "Starting charon-systemd IKE daemon (strongSwan 6.0.1, Linux 6.18.44, x86_64)",
        "Starting IKEv2 charon daemon (strongSwan 4.6.4)",
    ] {
        assert_eq!(p(line), CharonEvent::DaemonStarting, "{line}");
    }
}

#[test]
fn a_lost_rekey_collision_names_the_redundant_ike_sa() {
    // recorded: strongSwan 6.0.1, lab ikev2-frequent-rekey
    let CharonEvent::RekeyCollisionLost { redundant } =
        p("IKE_SA rekey collision lost, deleting redundant IKE_SA gw-gw[2]")
    else {
        panic!()
    };
    assert_eq!(
        (redundant.name.as_str(), redundant.unique_id),
        ("gw-gw", Some(2))
    );
}

#[test]
fn a_charon_built_without_ikev1_says_so() {
    // recorded: Debian sid's strongSwan 6.1.0 (lab ikev1-*)
    assert_eq!(
        p("IKE version 1 not supported"),
        CharonEvent::IkeVersionNotBuilt { version: 1 }
    );
}

#[test]
fn an_answer_of_another_exchange_is_an_unexpected_message_id() {
    // recorded: charon 5.9.8 against Libreswan 4.3 (lab ikev2-pluto-responder-healthy)
    assert_eq!(
        p("received message ID 0, expected 1, ignored"),
        CharonEvent::UnexpectedMessageId {
            got: 0,
            expected: 1
        }
    );
}

#[test]
fn a_revoked_certificate_says_when_and_why() {
    // recorded: lab ikev2-cert-revoked (CRL of the lab's CA)
    assert_eq!(
        p("certificate was revoked on Dec 01 12:17:53 UTC 2026, reason: key compromise"),
        CharonEvent::CertRevoked {
            on: "Dec 01 12:17:53 UTC 2026".to_owned(),
            reason: "key compromise".to_owned()
        }
    );
}
