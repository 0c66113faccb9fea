use super::*;
use proptest::prelude::*;
use serde_json::json;

fn complete(text: &str) -> Packet {
    match decode(text, 10).unwrap() {
        Decoded::Complete(p) => p,
        Decoded::Partial(_) => panic!("expected a complete packet for {text}"),
    }
}

fn event(nsp: &str, name: &str, args: &str, ack: Option<u64>) -> Packet {
    Packet {
        nsp: nsp.into(),
        body: PacketBody::Event {
            name: name.into(),
            args: Payload::from_json(args).unwrap(),
            ack,
        },
    }
}

#[test]
fn decodes_connect_with_and_without_namespace_comma() {
    assert_eq!(
        complete("0"),
        Packet {
            nsp: "/".into(),
            body: PacketBody::Connect(None)
        }
    );
    assert_eq!(
        complete("0/custom,"),
        Packet {
            nsp: "/custom".into(),
            body: PacketBody::Connect(None)
        }
    );
    assert_eq!(
        complete("0/custom"),
        Packet {
            nsp: "/custom".into(),
            body: PacketBody::Connect(None)
        }
    );
    assert_eq!(
        complete("0/admin,{\"token\":\"abc\"}"),
        Packet {
            nsp: "/admin".into(),
            body: PacketBody::Connect(Some("{\"token\":\"abc\"}".into()))
        }
    );
    assert_eq!(
        complete("1/custom"),
        Packet {
            nsp: "/custom".into(),
            body: PacketBody::Disconnect
        }
    );
}

#[test]
fn decodes_events_keeping_argument_text() {
    assert_eq!(
        complete("2[\"message\",1,\"2\",{\"3\":[true]}]"),
        event("/", "message", "[1,\"2\",{\"3\":[true]}]", None)
    );
    assert_eq!(
        complete("2/admin,12[\"bar\"]"),
        event("/admin", "bar", "[]", Some(12))
    );
    assert_eq!(complete("2[42,\"x\"]"), event("/", "42", "[\"x\"]", None));
    // Key order and spelling of the client's JSON reach the host unchanged.
    assert_eq!(
        complete("2[\"m\",{\"b\":1,\"a\":2}]"),
        event("/", "m", "[{\"b\":1,\"a\":2}]", None)
    );
}

#[test]
fn assembles_binary_attachments() {
    let Decoded::Partial(p) = decode(
        "52-[\"m\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
        10,
    )
    .unwrap() else {
        panic!("expected partial")
    };
    let p = p.push(Bytes::from_static(&[1, 2, 3])).unwrap_err();
    let packet = p.push(Bytes::from_static(&[4, 5, 6])).unwrap();
    let PacketBody::Event { name, args, .. } = packet.body else {
        panic!()
    };
    assert_eq!(name, "m");
    assert_eq!(
        args.attachments,
        vec![
            Bytes::from_static(&[1, 2, 3]),
            Bytes::from_static(&[4, 5, 6])
        ]
    );
    assert_eq!(placeholder_index(&args.to_values()[1]), Some(1));
}

#[test]
fn refuses_malformed_packets() {
    for bad in [
        "",
        "abc",
        "7",
        "2{}",
        "2abc[\"x\"]",
        "2[\"x\"",
        "2[]",
        "2[{}]",
        "2[\"disconnect\"]",
        "2[\"connect\"]",
        "3",
        "31{}",
        "1payload",
        "0[1]",
        "5[\"x\"]",
        "5-[\"x\"]",
        "50-[\"x\"]",
        "511-[\"x\"]",
        "4{\"message\":\"x\"}",
    ] {
        assert!(decode(bad, 10).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn encodes_exact_frames() {
    let args = Payload::from_json("[1,\"2\",{\"3\":[true]}]").unwrap();
    assert_eq!(
        &encode_event("/", "message-back", &args, None)
            .text()
            .unwrap()
            .as_bytes()[..],
        b"42[\"message-back\",1,\"2\",{\"3\":[true]}]"
    );
    assert_eq!(
        &encode_event(
            "/custom",
            "auth",
            &Payload::from_json("[{}]").unwrap(),
            None
        )
        .text()
        .unwrap()
        .as_bytes()[..],
        b"42/custom,[\"auth\",{}]"
    );
    assert_eq!(
        &encode_event("/", "e", &Payload::empty(), Some(7))
            .text()
            .unwrap()
            .as_bytes()[..],
        b"427[\"e\"]"
    );
    assert_eq!(
        &encode_event_at("/", "message-back", &args, None, Some("12"))
            .text()
            .unwrap()
            .as_bytes()[..],
        b"42[\"message-back\",1,\"2\",{\"3\":[true]},\"12\"]"
    );
    assert_eq!(
        &encode_event_at("/a", "e", &Payload::empty(), None, Some("3"))
            .text()
            .unwrap()
            .as_bytes()[..],
        b"42/a,[\"e\",\"3\"]"
    );
    assert_eq!(
        &encode_ack("/", 456, &args).text().unwrap().as_bytes()[..],
        b"43456[1,\"2\",{\"3\":[true]}]"
    );
    assert_eq!(
        &encode_connect("/", "abc", None).text().unwrap().as_bytes()[..],
        b"40{\"sid\":\"abc\"}"
    );
    assert_eq!(
        &encode_connect("/", "abc", Some("p"))
            .text()
            .unwrap()
            .as_bytes()[..],
        b"40{\"sid\":\"abc\",\"pid\":\"p\"}"
    );
    assert_eq!(
        &encode_connect_error("/random", "Invalid namespace", None)
            .text()
            .unwrap()
            .as_bytes()[..],
        b"44/random,{\"message\":\"Invalid namespace\"}"
    );
    assert_eq!(
        &encode_connect_error("/", "unauthorized", Some("{\"code\":401}"))
            .text()
            .unwrap()
            .as_bytes()[..],
        b"44{\"message\":\"unauthorized\",\"data\":{\"code\":401}}"
    );
    assert_eq!(
        &encode_disconnect("/admin").text().unwrap().as_bytes()[..],
        b"41/admin,"
    );
    let bin =
        Payload::from_values(&[placeholder(0)]).with_attachments(vec![Bytes::from_static(b"xy")]);
    let e = encode_ack("/", 789, &bin);
    assert_eq!(
        &e.text().unwrap().as_bytes()[..],
        b"461-789[{\"_placeholder\":true,\"num\":0}]"
    );
    assert_eq!(e.binary, vec![Bytes::from_static(b"xy")]);
}

#[test]
fn event_names_are_escaped() {
    let e = encode_event("/", "quo\"te", &Payload::empty(), None);
    assert_eq!(&e.text().unwrap().as_bytes()[..], b"42[\"quo\\\"te\"]");
}

fn json_leaf() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i32>().prop_map(serde_json::Value::from),
        "[a-zA-Z0-9 é\"\\\\/,\\[\\]{}]{0,12}".prop_map(serde_json::Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::vec(("[a-z]{1,5}", inner), 0..4)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn event_round_trip(
        nsp in prop_oneof![Just("/".to_string()), "/[a-z]{1,8}"],
        name in "[a-zA-Z0-9 _\"é-]{1,10}",
        args in prop::collection::vec(json_value(), 0..5),
        ack in proptest::option::of(0u64..1_000_000),
    ) {
        prop_assume!(!RESERVED_EVENTS.contains(&name.as_str()));
        let payload = Payload::from_values(&args);
        let encoded = encode_event(&nsp, &name, &payload, ack);
        let text = std::str::from_utf8(&encoded.text().unwrap().as_bytes()[1..]).unwrap();
        let packet = complete(text);
        prop_assert_eq!(&packet.nsp, &nsp);
        let PacketBody::Event { name: n, args: a, ack: k } = packet.body else { panic!("not an event") };
        prop_assert_eq!(n, name);
        prop_assert_eq!(k, ack);
        prop_assert_eq!(a.to_values(), args);
    }

    #[test]
    fn ack_round_trip_with_binary(
        id in 0u64..u64::MAX,
        blobs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..16), 1..4),
    ) {
        let values: Vec<_> = (0..blobs.len()).map(placeholder).collect();
        let payload = Payload::from_values(&values).with_attachments(blobs.iter().cloned().map(Bytes::from).collect());
        let encoded = encode_ack("/x", id, &payload);
        let text = std::str::from_utf8(&encoded.text().unwrap().as_bytes()[1..]).unwrap();
        let Decoded::Partial(mut partial) = decode(text, 10).unwrap() else { panic!("expected partial") };
        let mut out = None;
        for b in encoded.binary {
            match partial.push(b) {
                Ok(p) => { out = Some(p); break; }
                Err(p) => partial = p,
            }
        }
        let packet = out.expect("all attachments pushed");
        prop_assert_eq!(packet.body, PacketBody::Ack { id, args: payload });
    }

    #[test]
    fn decoding_arbitrary_text_never_panics(s in "\\PC{0,40}") {
        let _ = decode(&s, 10);
    }
}

#[test]
fn payload_validation() {
    assert!(Payload::from_json("[1, {\"a\": 2}]").is_ok());
    assert!(Payload::from_json("{\"a\":1}").is_err());
    assert!(Payload::from_json("[1,").is_err());
    assert_eq!(Payload::single(&json!({"k": [1]})).json(), "[{\"k\":[1]}]");
}

#[test]
fn json_deeper_than_serde_limit_is_refused() {
    let ok = format!(
        "2[\"e\",{}1{}]",
        "[".repeat(MAX_DEPTH - 1),
        "]".repeat(MAX_DEPTH - 1)
    );
    let Ok(Decoded::Complete(p)) = decode(&ok, 10) else {
        panic!("depth {MAX_DEPTH} refused")
    };
    let PacketBody::Event { args, .. } = p.body else {
        panic!()
    };
    assert_eq!(
        args.to_values().len(),
        1,
        "the host can parse what was accepted"
    );
    let deep = format!(
        "2[\"e\",{}1{}]",
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    );
    assert_eq!(decode(&deep, 10).unwrap_err(), DecodeError::TooDeep);
    // Brackets inside strings do not count.
    let quoted = format!("2[\"e\",\"{}\"]", "[".repeat(1000));
    assert!(decode(&quoted, 10).is_ok());
}

#[test]
fn placeholder_out_of_range_is_illegal() {
    let assemble = |text: &str| {
        let Ok(Decoded::Partial(p)) = decode(text, 10) else {
            panic!("not partial")
        };
        let Ok(p) = p.push(bytes::Bytes::from_static(b"x")) else {
            panic!("incomplete")
        };
        check_placeholders(&p)
    };
    assert_eq!(
        assemble("51-[\"e\",{\"_placeholder\":true,\"num\":0}]"),
        Ok(())
    );
    for bad in [
        "51-[\"e\",{\"_placeholder\":true,\"num\":1}]",
        "51-[\"e\",{\"_placeholder\":true,\"num\":-1}]",
        "51-[\"e\",{\"_placeholder\":true,\"num\":\"0\"}]",
        "51-[\"e\",[{\"a\":{\"_placeholder\":true,\"num\":99}}]]",
    ] {
        assert_eq!(assemble(bad), Err(DecodeError::IllegalAttachments), "{bad}");
    }
}
