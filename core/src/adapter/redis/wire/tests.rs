//! The golden samples captured from real Node servers (shared/cluster/redis-adapter-samples.txt).

use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const C1: &str = "93a657557054475883a47479706502a46461746192a568656c6c6f81a16101a36e7370a12f83a5726f6f6d7391a5726f6f6d31a665786365707490a5666c61677380";
const C3: &str = "93a657557054475883a47479706502a46461746192a36d73672aa36e7370a12f83a5726f6f6d7391a5726f6f6d31a665786365707491a5726f6f6d32a5666c61677380";
const C4: &str = "93a657557054475883a47479706502a46461746192a362696ec403010203a36e7370a12f83a5726f6f6d7391a5726f6f6d31a665786365707490a5666c61677380";
const C5: &str = "93a657557054475883a47479706502a46461746192a17601a36e7370a12f83a5726f6f6d7391a5726f6f6d31a665786365707490a5666c61677382a8766f6c6174696c65c3a8636f6d7072657373c2";
const C6: &str = "85a3756964a6575570544758a9726571756573744964a66b356e4a6d43a47479706507a67061636b657483a47479706502a46461746192a761636b2d72657101a36e7370a12fa46f70747383a5726f6f6d7391a5726f6f6d31a665786365707490a5666c61677381a774696d656f7574cd03e8";
const C8: &str = "83a47479706509a9726571756573744964a66b356e4a6d43a67061636b6574a663322d61636b";
const C16: &str = "93a7656d697474657283a47479706502a46461746192ac66726f6d2d656d6974746572a3686579a36e7370a12f83a5726f6f6d7391a5726f6f6d31a5666c61677380a665786365707490";
const C17: &str = "93a7656d697474657283a47479706502a46461746192a8636861742d65767401a36e7370a52f6368617483a5726f6f6d7390a5666c61677380a665786365707490";

#[test]
fn our_room_broadcast_is_byte_identical_to_node() {
    let opts = BroadcastOptions::all().to("room1");
    let args = Payload::from_json(r#"[{"a":1}]"#).unwrap();
    let bytes = broadcast_message("WUpTGX", "/", &opts, event_data("hello", &args));
    assert_eq!(bytes, hex(C1));
    assert_eq!(
        Channels::new("socket.io", "/").broadcast_channel(&opts),
        "socket.io#/#room1#"
    );
    assert_eq!(
        Channels::new("socket.io", "/").broadcast_channel(&BroadcastOptions::all()),
        "socket.io#/#"
    );
}

#[test]
fn binary_travels_as_msgpack_bin() {
    let opts = BroadcastOptions::all().to("room1");
    let args = Payload::from_json(r#"[{"_placeholder":true,"num":0}]"#)
        .unwrap()
        .with_attachments(vec![Bytes::from_static(&[1, 2, 3])]);
    assert_eq!(
        broadcast_message("WUpTGX", "/", &opts, event_data("bin", &args)),
        hex(C4)
    );
    let b = decode_broadcast(&hex(C4)).unwrap();
    assert_eq!(b.event, "bin");
    assert_eq!(b.args.json(), r#"[{"_placeholder":true,"num":0}]"#);
    assert_eq!(b.args.attachments, vec![Bytes::from_static(&[1, 2, 3])]);
}

#[test]
fn decodes_node_broadcasts_whatever_the_key_order() {
    let b = decode_broadcast(&hex(C3)).unwrap();
    assert_eq!(
        (b.uid.as_str(), b.nsp.as_str(), b.event.as_str()),
        ("WUpTGX", "/", "msg")
    );
    assert_eq!(b.args.json(), "[42]");
    assert_eq!(b.opts, BroadcastOptions::all().to("room1").except("room2"));
    let v = decode_broadcast(&hex(C5)).unwrap();
    assert!(v.opts.volatile);
    // The emitter writes rooms, flags, except.
    let e = decode_broadcast(&hex(C16)).unwrap();
    assert_eq!(
        (e.uid.as_str(), e.event.as_str()),
        ("emitter", "from-emitter")
    );
    assert_eq!(e.args.json(), r#"["hey"]"#);
    assert_eq!(e.opts, BroadcastOptions::all().to("room1"));
    let c = decode_broadcast(&hex(C17)).unwrap();
    assert_eq!((c.nsp.as_str(), c.args.json()), ("/chat", "[1]"));
}

#[test]
fn msgpack_requests_and_responses_are_sniffed() {
    let r = Body::parse(&hex(C6)).unwrap();
    assert!(matches!(r, Body::Msgpack(_)));
    assert_eq!(r.u64("type"), Some(kind::BROADCAST));
    assert_eq!(r.str("requestId"), Some("k5nJmC"));
    assert_eq!(r.opts(), BroadcastOptions::all().to("room1"));
    let Body::Msgpack(m) = &r else { unreachable!() };
    let flags = field(field(m, "opts").unwrap(), "flags").unwrap();
    assert_eq!(field(flags, "timeout").and_then(Mp::as_u64), Some(1000));
    let (event, args) =
        split_event_data(field(field(m, "packet").unwrap(), "data").unwrap()).unwrap();
    assert_eq!((event.as_str(), args.json()), ("ack-req", "[1]"));

    let ack = Body::parse(&hex(C8)).unwrap();
    assert_eq!(ack.u64("type"), Some(kind::BROADCAST_ACK));
    assert_eq!(ack.payload("packet").unwrap().json(), r#"["c2-ack"]"#);

    let join = Body::parse(
        br#"{"uid":"WUpTGX","type":2,"opts":{"rooms":["room1"],"except":[]},"rooms":["room3"]}"#,
    )
    .unwrap();
    assert_eq!(join.u64("type"), Some(kind::REMOTE_JOIN));
    assert_eq!(join.opts(), BroadcastOptions::all().to("room1"));
    assert_eq!(join.rooms("rooms"), vec![Room::from("room3")]);
}

#[test]
fn our_ack_request_matches_node_structure() {
    let mut m = vec![
        (Mp::from("uid"), Mp::from("WUpTGX")),
        (Mp::from("requestId"), Mp::from("k5nJmC")),
        (Mp::from("type"), Mp::from(kind::BROADCAST)),
    ];
    let args = Payload::from_json("[1]").unwrap();
    m.push((
        Mp::from("packet"),
        packet_mp("/", event_data("ack-req", &args)),
    ));
    m.push((
        Mp::from("opts"),
        opts_mp(&BroadcastOptions::all().to("room1"), Some(1000)),
    ));
    assert_eq!(encode(&Mp::Map(m)), hex(C6));
}

#[test]
fn numbers_and_nesting_round_trip() {
    let args =
        Payload::from_json(r#"[1.5,-3,1.0,"s",null,true,{"k":[1,{"_placeholder":true,"num":0}]}]"#)
            .unwrap()
            .with_attachments(vec![Bytes::from_static(b"xy")]);
    let data = event_data("e", &args);
    let (event, back) = split_event_data(&data).unwrap();
    assert_eq!(event, "e");
    assert_eq!(
        back.json(),
        r#"[1.5,-3,1,"s",null,true,{"k":[1,{"_placeholder":true,"num":0}]}]"#
    );
    assert_eq!(back.attachments, args.attachments);
}

#[test]
fn garbage_is_refused_not_a_panic() {
    for bad in [
        &b""[..],
        b"\x93",
        b"\xc1\xc1",
        b"{not json",
        b"\x93\xa1a\xc0\xc0",
    ] {
        assert!(decode_broadcast(bad).is_none());
    }
    assert!(Body::parse(b"{oops").is_none());
    // 10 000 nested arrays: refused by the depth limit.
    let deep = vec![0x91u8; 10_000];
    assert!(decode(&deep).is_none());
}

/// Arguments `[x]` nesting exactly `depth` levels (`depth` ≥ 2): `x` is arrays around
/// `leaf`, a JSON text (an object leaf is a level of its own, as a binary's placeholder).
pub(crate) fn args_nesting(depth: usize, leaf: &str) -> Payload {
    let levels = depth - 1 - usize::from(leaf.starts_with('{'));
    let json = format!("[{}{leaf}{}]", "[".repeat(levels), "]".repeat(levels));
    assert!(depth_within(&json, depth) && !depth_within(&json, depth - 1));
    Payload::from_json(&json).unwrap()
}

/// The values of `args`, however deep (`Payload::to_values` stops at serde_json's limit,
/// which arguments one level over ours exceed).
pub(crate) fn values(args: &Payload) -> Vec<Json> {
    match parse_json(args.json().as_bytes()) {
        Some(Json::Array(v)) => v,
        _ => panic!("not an argument array"),
    }
}

/// `[event, ...args]` as msgpack, however deep (see [`values`]).
pub(crate) fn deep_event_data(event: &str, args: &Payload) -> Mp {
    let mut data = vec![Mp::from(event)];
    data.extend(
        values(args)
            .iter()
            .map(|v| json_to_mp(v, &args.attachments)),
    );
    Mp::Array(data)
}

/// The leaves deep arguments end in: their msgpack forms cost the decoder differently.
pub(crate) const LEAVES: [&str; 4] = [
    "0",
    r#""s""#,
    r#"{"k":1}"#,
    r#"{"_placeholder":true,"num":0}"#,
];

/// `args` with the attachment its placeholder leaf (if any) points to.
pub(crate) fn with_bin(args: Payload) -> Payload {
    if args.json().contains("_placeholder") {
        args.with_attachments(vec![Bytes::from_static(b"\x01")])
    } else {
        args
    }
}

#[test]
fn arguments_a_client_may_send_cross_the_classic_wire_and_deeper_ones_do_not() {
    let opts = BroadcastOptions::default();
    for leaf in LEAVES {
        let args = with_bin(args_nesting(MAX_DEPTH, leaf));
        let b = decode_broadcast(&broadcast_message(
            "u",
            "/",
            &opts,
            deep_event_data("e", &args),
        ));
        let b = b.unwrap_or_else(|| panic!("depth {MAX_DEPTH} ending in {leaf} refused"));
        assert_eq!((b.event.as_str(), &b.args), ("e", &args));

        let deeper = with_bin(args_nesting(MAX_DEPTH + 1, leaf));
        let bytes = broadcast_message("u", "/", &opts, deep_event_data("e", &deeper));
        assert!(decode(&bytes).is_some(), "the message itself reads");
        assert!(
            decode_broadcast(&bytes).is_none(),
            "{leaf}: one level more is refused"
        );
    }
}

#[test]
fn requests_and_replies_hold_arguments_to_the_same_depth() {
    for (depth, ok) in [(MAX_DEPTH, true), (MAX_DEPTH + 1, false)] {
        let args = args_nesting(depth, "0");
        // A serverSideEmit request (JSON) and its arguments.
        let req = json_object(vec![
            ("uid", Json::from("u")),
            ("type", Json::from(kind::SERVER_SIDE_EMIT)),
            (
                "data",
                Json::Array([vec![Json::from("e")], values(&args)].concat()),
            ),
        ]);
        let Some(Body::Json(j)) = Body::parse(&req) else {
            panic!("depth {depth}: the request does not parse");
        };
        let rest = &j["data"].as_array().unwrap()[1..];
        assert_eq!(peer_args(rest, Vec::new()).is_some(), ok, "depth {depth}");
        // A broadcast with acks (msgpack) and an ack reply `{packet: x}` (msgpack).
        let req = encode(&Mp::Map(vec![
            (Mp::from("type"), Mp::from(kind::BROADCAST)),
            (
                Mp::from("packet"),
                packet_mp("/", deep_event_data("e", &args)),
            ),
        ]));
        let Some(Body::Msgpack(m)) = Body::parse(&req) else {
            panic!("depth {depth}: the broadcast request does not decode");
        };
        let data = field(field(&m, "packet").unwrap(), "data").unwrap();
        assert_eq!(split_event_data(data).is_some(), ok, "depth {depth}");
        let res = encode(&Mp::Map(vec![
            (Mp::from("type"), Mp::from(kind::BROADCAST_ACK)),
            (
                Mp::from("packet"),
                deep_event_data("e", &args).as_array().unwrap()[1].clone(),
            ),
        ]));
        assert_eq!(Body::parse(&res).unwrap().payload("packet").is_some(), ok);
        // The same reply as JSON.
        let res = json_object(vec![("data", values(&args).remove(0))]);
        assert_eq!(Body::parse(&res).unwrap().payload("data").is_some(), ok);
    }
}

#[test]
fn json_messages_deeper_than_any_envelope_are_refused_without_recursing() {
    let deep = format!("{{\"a\":{}0{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_json(deep.as_bytes()).is_none());
    assert!(Body::parse(deep.as_bytes()).is_none());
    let fits = format!(
        "{{\"a\":{}0{}}}",
        "[".repeat(MAX_DEPTH + ENVELOPE - 1),
        "]".repeat(MAX_DEPTH + ENVELOPE - 1)
    );
    assert!(parse_json(fits.as_bytes()).is_some());
    assert!(parse_json(b"{} trailing").is_none());
}
