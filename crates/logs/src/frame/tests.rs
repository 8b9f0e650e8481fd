use super::*;

fn f(line: &str) -> Framed<'_> {
    frame(line).expect("not blank")
}

#[test]
fn charon_file_log_with_timestamp_and_tag() {
    let l = f("Nov 27 00:31:57 13[IKE] <con2000|1> initiating IKE_SA con2000[1] to 192.0.2.74");
    assert_eq!(l.format, Format::CharonFile);
    assert_eq!(l.daemon, Daemon::Charon);
    assert_eq!(l.thread, Some(13));
    assert_eq!(l.group.as_deref(), Some("IKE"));
    let tag = l.ike_sa.expect("tag");
    assert_eq!((tag.name.as_ref(), tag.unique_id), ("con2000", Some(1)));
    assert_eq!(l.message, "initiating IKE_SA con2000[1] to 192.0.2.74");
    assert!(l.timestamp.is_some());
}

#[test]
fn charon_file_log_without_timestamp_or_tag() {
    let l = f("09[ENC] could not decrypt payloads");
    assert_eq!(l.format, Format::CharonFile);
    assert_eq!(l.thread, Some(9));
    assert!(l.ike_sa.is_none());
    assert_eq!(l.message, "could not decrypt payloads");
}

#[test]
fn charon_file_log_with_unnamed_tag_and_log_level_group() {
    let l = f("Nov 27 00:31:57.123 05[CFG2] <7> no peer config found");
    assert_eq!(l.group.as_deref(), Some("CFG"));
    assert_eq!(l.ike_sa.map(|t| t.unique_id), Some(Some(7)));
}

#[test]
fn bsd_syslog_with_host_and_pid() {
    let l = f("Nov 27 00:31:57 fw1 charon[4242]: 13[IKE] <con2000|1> no proposal found");
    assert_eq!(l.format, Format::BsdSyslog);
    assert_eq!(l.host.as_deref(), Some("fw1"));
    assert_eq!(l.pid, Some(4242));
    assert_eq!(l.thread, Some(13));
    assert_eq!(l.message, "no proposal found");
}

#[test]
fn seed_document_prefix_without_timestamp() {
    let l = f("  charon: 09[IKE] IKE_SA con2000[11] established between 192.0.2.90[192.0.2.90]...192.0.2.74[192.0.2.74]");
    assert_eq!(l.format, Format::ProgramPrefix);
    assert_eq!(l.daemon, Daemon::Charon);
    assert_eq!(l.host, None);
    assert!(l.message.starts_with("IKE_SA con2000[11] established"));
}

#[test]
fn pfsense_old_syslog_without_host() {
    let l = f("Feb 20 10:33:41  racoon: ERROR: failed to get sainfo.");
    assert_eq!(l.format, Format::BsdSyslog);
    assert_eq!(l.daemon, Daemon::Racoon);
    assert_eq!(l.host, None);
    assert_eq!(l.message, "ERROR: failed to get sainfo.");
}

#[test]
fn rsyslog_high_precision_timestamp() {
    let l = f("2026-11-27T00:31:57.123456+00:00 gw-a charon[77]: 08[CFG] proposing traffic selectors for us:");
    assert_eq!(l.format, Format::BsdSyslog);
    assert_eq!(l.host.as_deref(), Some("gw-a"));
    assert_eq!(l.message, "proposing traffic selectors for us:");
}

#[test]
fn journalctl_short_iso() {
    let l = f("2026-11-27T00:31:57+0000 vpn1 charon[99]: 14[CFG] received proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024");
    assert_eq!(l.host.as_deref(), Some("vpn1"));
    assert!(l.message.starts_with("received proposals:"));
}

#[test]
fn charon_systemd_journal_line_has_no_prefix() {
    let l = f("Nov 27 00:31:57 vyos charon-systemd[1158]: deleting IKE_SA vyos[2] between 192.0.2.1[192.0.2.1]...192.0.2.2[192.0.2.2]");
    assert_eq!(l.daemon, Daemon::CharonSystemd);
    assert_eq!(l.thread, None);
    assert!(l.message.starts_with("deleting IKE_SA vyos[2]"));
}

#[test]
fn rfc5424_with_and_without_structured_data() {
    let l = f("<30>1 2026-11-27T00:31:57.000Z fw1 charon 4242 - - 13[IKE] <c|3> no proposal found");
    assert_eq!(l.format, Format::Rfc5424);
    assert_eq!(l.host.as_deref(), Some("fw1"));
    assert_eq!(l.pid, Some(4242));
    assert_eq!(l.message, "no proposal found");
    let l = f(
        r#"<30>1 2026-11-27T00:31:57Z fw1 charon - ID47 [x@1 a="b\"]"] 13[IKE] giving up after 5 retransmits"#,
    );
    assert_eq!(l.message, "giving up after 5 retransmits");
}

#[test]
fn journal_json_from_charon_systemd() {
    let l = f(
        r#"{"__REALTIME_TIMESTAMP":"1795739517000000","_HOSTNAME":"gw","SYSLOG_IDENTIFIER":"charon-systemd","_PID":"12","MESSAGE":"no proposal found","THREAD":"14","GROUP":"IKE","IKE_SA_NAME":"site","IKE_SA_UNIQUE_ID":"4"}"#,
    );
    assert_eq!(l.format, Format::JournalJson);
    assert_eq!(l.daemon, Daemon::CharonSystemd);
    assert_eq!(l.host.as_deref(), Some("gw"));
    assert_eq!(l.thread, Some(14));
    let tag = l.ike_sa.expect("tag from fields");
    assert_eq!((tag.name.as_ref(), tag.unique_id), ("site", Some(4)));
    assert_eq!(l.message, "no proposal found");
}

#[test]
fn journal_json_with_byte_array_message() {
    let l = f(
        r#"{"_HOSTNAME":"gw","SYSLOG_IDENTIFIER":"charon","MESSAGE":[49,51,91,73,75,69,93,32,104,105,255]}"#,
    );
    assert_eq!(l.thread, Some(13));
    assert_eq!(l.message, "hi\u{fffd}");
}

#[test]
fn swanctl_log_output() {
    let l = f("[IKE] initiating IKE_SA gw-gw[1] to 192.0.2.74");
    assert_eq!(l.format, Format::Swanctl);
    assert_eq!(l.daemon, Daemon::Charon);
    assert_eq!(l.thread, None);
    assert_eq!(l.message, "initiating IKE_SA gw-gw[1] to 192.0.2.74");
}

#[test]
fn pfsense_gui_export_is_tab_separated() {
    let l = f("Nov 27 00:31:57\tcharon\t4242\t13[IKE] <con1000|19> no proposal found");
    assert_eq!(l.format, Format::GuiExport);
    assert_eq!(l.pid, Some(4242));
    assert_eq!(l.thread, Some(13));
    assert_eq!(l.message, "no proposal found");
    let l = f(
        "2026-11-27T00:31:57\tInformational\tcharon\t14[CFG] received proposals: IKE:AES_CBC_128",
    );
    assert_eq!(l.format, Format::GuiExport);
    assert_eq!(l.message, "received proposals: IKE:AES_CBC_128");
}

#[test]
fn bare_message_and_redacted_addresses() {
    let l = f("IDir '<ip1>' does not match to 'x.x.x.x'");
    assert_eq!(l.format, Format::Bare);
    assert_eq!(l.daemon, Daemon::Unknown);
    assert_eq!(l.message, "IDir '<ip1>' does not match to 'x.x.x.x'");
}

#[test]
fn other_programs_are_named() {
    let l = f("Nov 27 00:31:57 fw1 sshd[88]: Accepted publickey for root");
    assert_eq!(l.daemon, Daemon::Other);
    let l = f(
        "Nov 27 00:31:57 fw1 kernel: igb_mq_start() at igb_mq_start+0x224/frame 0xfffffe001c39ce10",
    );
    assert_eq!(l.daemon, Daemon::Kernel);
}

#[test]
fn crlf_and_bom_are_stripped() {
    let l = f("\u{feff}charon: 10[IKE] no peer config found\r\n");
    assert_eq!(l.message, "no peer config found");
}

#[test]
fn blank_lines_frame_to_none() {
    assert!(frame("").is_none());
    assert!(frame("   \r").is_none());
}

#[test]
fn racoon_level_word_is_not_a_program() {
    let l = f("ERROR: none message must be encrypted");
    assert_eq!(l.format, Format::Bare);
}

#[test]
fn nul_padding_before_a_line_is_ignored() {
    let l = f("\0\0\0charon: 12[CFG] no matching peer config found");
    assert_eq!(l.daemon, Daemon::Charon);
    assert_eq!(l.message, "no matching peer config found");
}

#[test]
fn racoon_shapes() {
    let l = f("Mar 27 16:31:44 fw1 racoon[1234]: [Site-B]: [203.0.113.5] INFO: IPsec-SA established: ESP/Tunnel 203.0.113.5[500]->192.0.2.1[500] spi=1(0x1)");
    assert_eq!(
        (l.daemon, l.host.as_deref(), l.pid),
        (Daemon::Racoon, Some("fw1"), Some(1234))
    );
    assert!(l.message.starts_with("[Site-B]: [203.0.113.5] INFO: "));
    let l = f("racoon: [Self]: INFO: unsupported PF_KEY message REGISTER");
    assert_eq!(
        (l.daemon, l.format),
        (Daemon::Racoon, Format::ProgramPrefix)
    );
    assert_eq!(
        l.message,
        "[Self]: INFO: unsupported PF_KEY message REGISTER"
    );
    // racoon's own log file: no program name.
    let l = f("2012-03-27 16:31:44: ERROR: pfkey ADD failed: Invalid argument");
    assert_eq!((l.daemon, l.format), (Daemon::Unknown, Format::Bare));
    assert!(l.timestamp.is_some());
    assert_eq!(l.message, "ERROR: pfkey ADD failed: Invalid argument");
    let l = f("[203.0.113.5] ERROR: failed to get sainfo.");
    assert_eq!((l.daemon, l.group), (Daemon::Unknown, None));
}

#[test]
fn spans_give_the_same_framing_back_on_a_copy_of_the_line() {
    let lines = [
        "Jan  3 03:14:48 fw-lis-0040a charon[10536]: 12[IKE] <lis-fra-0040|1> IKE_SA lis-fra-0040[1] established",
        "Nov 27 00:31:57 13[IKE] <5> initiating IKE_SA con2000[1] to 192.0.2.74",
        "<30>1 2026-11-27T00:31:57Z fw1 charon 42 - - 09[ENC] could not decrypt payloads",
        "charon: 09[CFG]  10.1.0.0/24",
        "2012-03-27 16:31:44: ERROR: phase1 negotiation failed due to time up.",
        "Nov 27 00:31:57 fw1 sshd[1]: Accepted publickey for admin",
    ];
    for line in lines {
        let framed = f(line);
        let spans = framed
            .spans(line)
            .expect("every part is a slice of the line");
        // Another thread decodes its own copy of the line.
        let copy = line.to_owned();
        assert_eq!(spans.framed(&copy), Some(framed), "{line}");
    }
}

#[test]
fn a_framing_with_text_of_its_own_has_no_spans() {
    let line =
        r#"{"MESSAGE": "09[ENC] could not decrypt payloads", "SYSLOG_IDENTIFIER": "charon"}"#;
    assert_eq!(f(line).spans(line), None);
}

// Wrappers found by the shape of the daemon message (`shape.rs`). The lines
// are from real public pastes (the corpus under fixtures/real-logs/).

#[test]
fn openwrt_logread_with_weekday_year_and_facility() {
    let l = f("Fri Jan 24 21:59:24 2025 authpriv.info ipsec: 09[CFG] sending DHCP DISCOVER");
    assert_eq!((l.format, l.daemon), (Format::Wrapped, Daemon::Charon));
    assert_eq!(l.host, None, "daemon.info is a facility, not a host");
    assert_eq!((l.thread, l.group.as_deref()), (Some(9), Some("CFG")));
    assert_eq!(l.timestamp.and_then(|t| t.year), Some(2025));
    assert_eq!(l.message, "sending DHCP DISCOVER");
}

#[test]
fn openwrt_logread_with_an_empty_program_tag() {
    let l = f("Thu Sep  9 12:06:53 2021 daemon.info : 08[KNL] unable to add SAD entry with SPI cb9d49fb (FAILED)");
    assert_eq!((l.daemon, l.thread), (Daemon::Charon, Some(8)));
    assert_eq!(
        l.message,
        "unable to add SAD entry with SPI cb9d49fb (FAILED)"
    );
}

#[test]
fn android_logcat_brief_and_threadtime() {
    let l = f("I/charon  (14804): 13[IKE] initiating IKE_SA android[7] to 198.7.62.204");
    assert_eq!(
        (l.format, l.daemon, l.pid),
        (Format::Wrapped, Daemon::Charon, Some(14804))
    );
    assert_eq!(l.message, "initiating IKE_SA android[7] to 198.7.62.204");
    let l = f("06-13 19:35:22.123  1234  5678 I charon  : 05[IKE] retransmit 1 of request with message ID 0");
    assert_eq!((l.daemon, l.thread), (Daemon::Charon, Some(5)));
    assert_eq!(l.timestamp.map(|t| (t.month, t.day)), Some((6, 13)));
    assert_eq!(l.host, None);
}

#[test]
fn a_clock_alone_and_a_gui_row_whose_tabs_became_spaces() {
    let l =
        f("17:28:19 charon: 07[NET] received packet: from CLIENT[500] to SERVER[500] (300 bytes)");
    assert_eq!(
        (l.daemon, l.thread, l.timestamp),
        (Daemon::Charon, Some(7), None)
    );
    let l =
        f("Nov 27 00:31:57 charon 4242 13[IKE] <con1|3> initiating IKE_SA con1[3] to 192.0.2.1");
    assert_eq!((l.format, l.host), (Format::Wrapped, None));
    assert_eq!(l.ike_sa.map(|t| t.unique_id), Some(Some(3)));
    let l = f("2026-11-27T00:31:57 | Informational | charon | 13[IKE] no proposal chosen");
    assert_eq!((l.daemon, l.thread), (Daemon::Charon, Some(13)));
    assert_eq!(l.message, "no proposal chosen");
}

#[test]
fn quoted_numbered_and_bold_pastes() {
    for line in [
        "> Nov 27 00:31:57 fw1 charon[42]: 13[IKE] giving up after 5 retransmits",
        "12: Nov 27 00:31:57 fw1 charon[42]: 13[IKE] giving up after 5 retransmits",
        "**Nov 27 00:31:57 fw1 charon[42]: 13[IKE] giving up after 5 retransmits",
    ] {
        let l = f(line);
        assert_eq!((l.daemon, l.thread), (Daemon::Charon, Some(13)), "{line}");
        assert_eq!(l.message, "giving up after 5 retransmits", "{line}");
        assert_eq!(l.host.as_deref(), Some("fw1"), "{line}");
    }
}

#[test]
fn indented_swanctl_output_with_a_bracketed_tag() {
    let l = f("  [IKE] [gw-4|16] no acceptable traffic selectors found");
    assert_eq!(l.daemon, Daemon::Charon);
    let tag = l.ike_sa.expect("tag");
    assert_eq!((tag.name.as_ref(), tag.unique_id), ("gw-4", Some(16)));
    assert_eq!(l.message, "no acceptable traffic selectors found");
}

#[test]
fn whack_output_and_pluto_state_prefixes() {
    let l = f(
        "010 \"mtntest\" #1056: STATE_PARENT_I1: retransmission; will wait 1 seconds for response",
    );
    assert_eq!((l.format, l.daemon), (Format::Wrapped, Daemon::Pluto));
    assert!(l.message.starts_with("\"mtntest\" #1056: STATE_PARENT_I1"));
    let l = f("002 listening for IKE messages");
    assert_eq!(
        (l.daemon, l.message.as_ref()),
        (Daemon::Pluto, "listening for IKE messages")
    );
    let l = f("**Oct 11 21:20:13 vpn01 pluto[3959]: \"xauth-psk\"[2] 192.0.2.1 #6: STATE_QUICK_R2: IPsec SA established");
    assert_eq!(
        (l.daemon, l.host.as_deref()),
        (Daemon::Pluto, Some("vpn01"))
    );
    let l = f("packet from 192.0.2.1:500: initial Main Mode message received");
    assert_eq!(l.daemon, Daemon::Pluto);
}

#[test]
fn html_escaped_lines_are_read_as_the_page_shows_them() {
    let l = f("Nov 27 00:31:57 fw1 charon[42]: 13[IKE] &lt;con1|3&gt; no proposal chosen");
    assert_eq!(
        l.ike_sa.map(|t| t.name.into_owned()),
        Some("con1".to_owned())
    );
    let l = f("Nov 27 00:31:57 fw1 pluto[7]: &quot;gw&quot; #3: initiating IKEv2 connection");
    assert_eq!(
        (l.daemon, l.message.as_ref()),
        (Daemon::Pluto, "\"gw\" #3: initiating IKEv2 connection")
    );
}

#[test]
fn other_programs_text_is_not_taken_for_a_daemon_message() {
    for line in [
        "Nov 27 00:31:57 fw1 sshd[42]: Invalid user \"admin\": from 192.0.2.1",
        "Nov 27 00:31:57 fw1 nginx: GET /index.html 200 [1] ok",
        "Nov 27 00:31:57 fw1 kernel: [12345.678901] eth0: link up",
        "123 items processed",
        "250 OK",
        "001 first line of a numbered paste",
        "{\"a\": 1, \"b\": \"x\"}",
        "Nov 27 00:31:57 fw1 myapp[3]: [CFG] loading connection 'db' failed",
        "Nov 27 00:31:57 fw1 sshd[42]: user pluto: 13 failures",
        "Nov 27 00:31:57 fw1 systemd[1]: Started \"ipsec\" #3: done",
    ] {
        let l = f(line);
        assert!(
            !matches!(l.daemon, Daemon::Charon | Daemon::Pluto),
            "{line}: {l:?}"
        );
    }
}

#[test]
fn wrapper_lines_keep_the_wrappers_host() {
    let l =
        f("Nov 27 00:31:57 laptop NetworkManager[4497]: <info>  keyfile: \"vpn\": new connection");
    assert_eq!(l.host.as_deref(), Some("laptop"));
    assert_eq!(l.daemon, Daemon::Wrapper);
    let l = f("Nov 27 00:31:57 laptop NetworkManager[4497]: 002 \"vpn\" #1: initiating Main Mode");
    assert_eq!(
        (l.daemon, l.host.as_deref()),
        (Daemon::Pluto, Some("laptop"))
    );
}

#[test]
fn opnsense_gui_copy_with_a_trailing_tab() {
    // OPNsense's log view copied (real-logs strongswan-21).
    let l = f("2023-01-27T13:26:22\tInformational\tcharon\t15[IKE] <86> found 1 matching config, but none allows pre-shared key authentication using Main Mode\t");
    assert_eq!(
        (l.format, l.daemon, l.thread),
        (Format::GuiExport, Daemon::Charon, Some(15))
    );
    assert!(l.message.starts_with("found 1 matching config"));
}

#[test]
fn rsyslog_traditional_file_of_a_message_received_as_rfc5424_has_no_colon_after_the_tag() {
    // Recorded: charon-systemd 6.0.1 -> rsyslog (RFC 5424 over TCP) ->
    // central rsyslog, RSYSLOG_TraditionalFileFormat.
    let l = f("Dec  1 11:28:03 left charon-systemd 08[IKE] <gw-gw|1> activating MAIN_MODE task");
    assert_eq!(l.host.as_deref(), Some("left"));
    assert_eq!(l.daemon, Daemon::CharonSystemd);
    assert_eq!(l.thread, Some(8));
    assert_eq!(l.message, "activating MAIN_MODE task");
    let l = f("Dec  1 11:24:46 right charon-systemd[1388] 192.0.2.90 is initiating an IKE_SA");
    assert_eq!(l.host.as_deref(), Some("right"));
    assert_eq!(l.pid, Some(1388));
    let l = f("Dec  1 11:26:02 left pluto[5433] \"gw-gw\" #2: initiating Quick Mode");
    assert_eq!((l.host.as_deref(), l.daemon), (Some("left"), Daemon::Pluto));
    assert_eq!(l.message, "\"gw-gw\" #2: initiating Quick Mode");
}

#[test]
fn a_word_after_a_host_is_not_taken_for_a_colonless_tag() {
    let l = f("Dec  1 11:28:03 left charon 08 is not a thread prefix");
    assert_ne!(l.host.as_deref(), Some("left"));
    let l = f("Dec  1 11:28:03 left pluto is not a tag without a pid");
    assert_ne!(l.daemon, Daemon::Pluto);
}
