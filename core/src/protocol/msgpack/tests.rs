use super::*;
use crate::engine::Frame;
use crate::protocol::Parser;

fn mp(bytes: &Bytes) -> Mp {
    rmpv::decode::read_value(&mut &bytes[..]).unwrap()
}

fn map(fields: Vec<(&str, Mp)>) -> Vec<u8> {
    let m = fields.into_iter().map(|(k, v)| (Mp::from(k), v)).collect();
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &Mp::Map(m)).unwrap();
    out
}

#[test]
fn event_is_one_map_with_binary_inline() {
    let args = Payload::from_json(r#"[1,{"_placeholder":true,"num":0},{"k":[true,null,1.5]}]"#)
        .unwrap()
        .with_attachments(vec![Bytes::from_static(&[9, 8, 7])]);
    let e = Parser::Msgpack.encode_event("/admin", "hi", &args, Some(12), None);
    assert!(e.binary.is_empty());
    let Frame::Binary(bytes) = &e.head else {
        panic!("a msgpack packet is one binary frame")
    };
    let v = mp(bytes);
    let m = v.as_map().unwrap();
    assert_eq!(field(m, "type"), Some(&Mp::from(2)));
    assert_eq!(field(m, "nsp"), Some(&Mp::from("/admin")));
    assert_eq!(field(m, "id"), Some(&Mp::from(12)));
    let data = field(m, "data").unwrap().as_array().unwrap();
    assert_eq!(data[0], Mp::from("hi"));
    assert_eq!(data[1], Mp::from(1));
    assert_eq!(data[2], Mp::Binary(vec![9, 8, 7]));
    assert_eq!(
        data[3],
        Mp::Map(vec![(
            Mp::from("k"),
            Mp::Array(vec![Mp::Boolean(true), Mp::Nil, Mp::F64(1.5)])
        )])
    );
}

#[test]
fn event_round_trips_through_the_decoder() {
    let args = Payload::from_json(r#"["a",{"_placeholder":true,"num":0},2]"#)
        .unwrap()
        .with_attachments(vec![Bytes::from_static(b"\x00\x01")]);
    let Frame::Binary(bytes) = Parser::Msgpack
        .encode_event("/", "ev", &args, Some(3), None)
        .head
    else {
        panic!()
    };
    let p = decode(&bytes, 10).unwrap();
    assert_eq!(p.nsp, "/");
    let PacketBody::Event { name, args: a, ack } = p.body else {
        panic!("not an event")
    };
    assert_eq!((name.as_str(), ack), ("ev", Some(3)));
    assert_eq!(a, args);
}

#[test]
fn decodes_what_clients_send() {
    let connect = map(vec![
        ("type", Mp::from(0)),
        ("nsp", Mp::from("/")),
        ("data", Mp::Map(vec![(Mp::from("token"), Mp::from("x"))])),
    ]);
    assert_eq!(
        decode(&connect, 10).unwrap().body,
        PacketBody::Connect(Some(r#"{"token":"x"}"#.into()))
    );
    // python-socketio sends `data: None` on a CONNECT without auth.
    let bare = map(vec![
        ("type", Mp::from(0)),
        ("nsp", Mp::from("/")),
        ("data", Mp::Nil),
    ]);
    assert_eq!(decode(&bare, 10).unwrap().body, PacketBody::Connect(None));
    let ack = map(vec![
        ("type", Mp::from(3)),
        ("nsp", Mp::from("/x")),
        ("id", Mp::from(7)),
        ("data", Mp::Array(vec![Mp::Binary(vec![1]), Mp::from("ok")])),
    ]);
    let p = decode(&ack, 10).unwrap();
    let PacketBody::Ack { id, args } = p.body else {
        panic!()
    };
    assert_eq!(id, 7);
    assert_eq!(args.json(), r#"[{"_placeholder":true,"num":0},"ok"]"#);
    assert_eq!(args.attachments, vec![Bytes::from_static(&[1])]);
    let disconnect = map(vec![("type", Mp::from(1)), ("nsp", Mp::from("/x"))]);
    assert_eq!(
        decode(&disconnect, 10).unwrap().body,
        PacketBody::Disconnect
    );
}

#[test]
fn refuses_malformed_packets() {
    let ev = |data: Mp| {
        map(vec![
            ("type", Mp::from(2)),
            ("nsp", Mp::from("/")),
            ("data", data),
        ])
    };
    let many_bins = Mp::Array(
        std::iter::once(Mp::from("e"))
            .chain((0..11).map(|_| Mp::Binary(vec![0])))
            .collect(),
    );
    let mut trailing = ev(Mp::Array(vec![Mp::from("e")]));
    trailing.push(0xc0);
    let mut deep = vec![0x91u8; 300];
    deep.push(0xc0);
    for bad in [
        vec![],
        vec![0xc1],                        // never used
        b"42[\"x\"]".to_vec(),             // a JSON packet
        vec![0x93, 1, 2, 3],               // not a map
        map(vec![("nsp", Mp::from("/"))]), // no type
        map(vec![("type", Mp::from(9)), ("nsp", Mp::from("/"))]),
        map(vec![("type", Mp::from(5)), ("nsp", Mp::from("/"))]),
        map(vec![
            ("type", Mp::from(2)),
            ("data", Mp::Array(vec![Mp::from("e")])),
        ]),
        ev(Mp::Array(vec![])),
        ev(Mp::from("e")),
        ev(Mp::Array(vec![Mp::Map(vec![])])),
        ev(Mp::Array(vec![Mp::from("disconnect")])),
        ev(many_bins),
        map(vec![
            ("type", Mp::from(3)),
            ("nsp", Mp::from("/")),
            ("data", Mp::Array(vec![])),
        ]),
        map(vec![
            ("type", Mp::from(1)),
            ("nsp", Mp::from("/")),
            ("data", Mp::from(1)),
        ]),
        map(vec![
            ("type", Mp::from(0)),
            ("nsp", Mp::from("/")),
            ("data", Mp::from(1)),
        ]),
        map(vec![
            ("type", Mp::from(4)),
            ("nsp", Mp::from("/")),
            ("data", Mp::Map(vec![])),
        ]),
        trailing,
        deep,
    ] {
        assert!(decode(&bad, 10).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn connect_error_and_disconnect_have_the_reference_shape() {
    let Frame::Binary(b) = Parser::Msgpack
        .encode_connect_error("/", "nope", Some(r#"{"why":1}"#))
        .head
    else {
        panic!()
    };
    let v = mp(&b);
    let m = v.as_map().unwrap();
    assert_eq!(field(m, "type"), Some(&Mp::from(4)));
    let data = field(m, "data").unwrap().as_map().unwrap();
    assert_eq!(field(data, "message"), Some(&Mp::from("nope")));
    assert_eq!(
        field(data, "data"),
        Some(&Mp::Map(vec![(Mp::from("why"), Mp::from(1))]))
    );
    let Frame::Binary(b) = Parser::Msgpack.encode_disconnect("/a").head else {
        panic!()
    };
    let v = mp(&b);
    assert_eq!(
        v,
        Mp::Map(vec![
            (Mp::from("type"), Mp::from(1)),
            (Mp::from("nsp"), Mp::from("/a"))
        ])
    );
}

/// `{1: {1: … {1: 1}}}`, `levels` maps deep, keyed by integers.
fn int_keyed_maps(levels: usize) -> Mp {
    (0..levels).fold(Mp::from(1), |inner, _| Mp::Map(vec![(Mp::from(1), inner)]))
}

/// An EVENT `["e", arg]` as a msgpack client sends it.
fn event_with(arg: Mp) -> Vec<u8> {
    map(vec![
        ("type", Mp::from(2)),
        ("nsp", Mp::from("/")),
        ("data", Mp::Array(vec![Mp::from("e"), arg])),
    ])
}

/// The EVENT as the server relays it (the fuzz target's round trip).
fn relayed(p: &Packet) -> Bytes {
    let PacketBody::Event { name, args, ack } = &p.body else {
        panic!("not an event")
    };
    encode_event(&p.nsp, name, args, *ack, None)
}

#[test]
fn integer_keyed_maps_near_the_depth_limit_relay_and_decode_again() {
    // The fuzz finding: integer keys become string keys when relayed, which msgpack
    // libraries count deeper than integers; near the limit the relayed packet was refused.
    for levels in 55..MAX_DEPTH {
        let p = decode(&event_with(int_keyed_maps(levels)), 10)
            .unwrap_or_else(|e| panic!("{levels} maps deep: {e}"));
        let again =
            decode(&relayed(&p), 10).unwrap_or_else(|e| panic!("{levels} maps deep, relayed: {e}"));
        assert_eq!(again, p, "{levels} maps deep");
    }
    // With the event array, MAX_DEPTH maps are one level too many.
    assert_eq!(
        decode(&event_with(int_keyed_maps(MAX_DEPTH)), 10),
        Err(DecodeError::TooDeep)
    );
}

#[test]
fn depth_limit_is_the_json_parsers() {
    // The event array counts one level, as `["e", …]` does in the JSON form; each map or
    // array below it one more, and a binary (a placeholder object to the host) one more.
    for (levels, leaf) in [
        (MAX_DEPTH - 2, Mp::from("s")),
        (MAX_DEPTH - 1, Mp::from("s")),
        (MAX_DEPTH - 1, Mp::Binary(vec![1])),
        (MAX_DEPTH, Mp::from(1)),
    ] {
        let arg = (0..levels).fold(leaf.clone(), |inner, i| {
            if i % 2 == 0 {
                Mp::Array(vec![inner])
            } else {
                Mp::Map(vec![(Mp::from("k"), inner)])
            }
        });
        let json_args = Payload::from_values(&[mp_to_json(&arg, &mut Vec::new())]);
        let text = format!("2[\"e\",{}", &json_args.json()[1..]);
        let by_json = super::super::decode(&text, 10).map(|_| ());
        let by_msgpack = decode(&event_with(arg), 10);
        let depth = levels + 1 + usize::from(matches!(leaf, Mp::Binary(_)));
        assert_eq!(
            by_msgpack.as_ref().map(|_| ()),
            by_json.as_ref().map(|_| ()),
            "{levels} levels over {leaf:?}"
        );
        assert_eq!(
            by_msgpack.is_ok(),
            depth <= MAX_DEPTH,
            "{levels} levels over {leaf:?}"
        );
        if let Ok(p) = by_msgpack {
            let PacketBody::Event { args, .. } = p.body else {
                panic!()
            };
            assert_eq!(
                args.to_values().len(),
                1,
                "the host can parse what was accepted"
            );
        }
    }
    // A CONNECT's auth object: the same rule.
    let auth = (0..MAX_DEPTH).fold(Mp::from("s"), |inner, _| {
        Mp::Map(vec![(Mp::from(1), inner)])
    });
    let deepest = map(vec![
        ("type", Mp::from(0)),
        ("nsp", Mp::from("/")),
        ("data", auth),
    ]);
    assert!(decode(&deepest, 10).is_ok(), "{MAX_DEPTH} levels of auth");
    let too_deep = map(vec![
        ("type", Mp::from(0)),
        ("nsp", Mp::from("/")),
        ("data", int_keyed_maps(MAX_DEPTH + 1)),
    ]);
    assert_eq!(decode(&too_deep, 10), Err(DecodeError::TooDeep));
}

#[test]
fn fuzz_seeds_pass_the_fuzz_check() {
    // seed16 is the fuzz finding above (61 integer-keyed maps); the check panics on failure.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/msgpack_packet");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        crate::fuzz::msgpack_packet(&std::fs::read(entry.unwrap().path()).unwrap());
        seen += 1;
    }
    assert!(seen >= 17, "only {seen} seeds in {dir}");
}
