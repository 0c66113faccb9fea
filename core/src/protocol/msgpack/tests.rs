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
