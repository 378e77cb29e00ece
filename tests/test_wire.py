"""The plain-data protocol: what crosses the trust boundary, and what it refuses."""
from __future__ import annotations

import io

import numpy as np
import pytest

from grader.worker import wire


def roundtrip(value):
    node, blobs = wire.encode_value(value)
    header, blobs2 = wire.read_frame(io.BytesIO(wire.message({"v": node}, blobs)))
    return wire.decode_value(header["v"], blobs2)


def test_arrays_scalars_and_containers_round_trip():
    value = (np.arange(6.0).reshape(2, 3), np.float64(1.5), 3, 2.5, "s", None, [True, np.int32(7)])
    back = roundtrip(value)
    assert isinstance(back, tuple) and isinstance(back[6], list)
    assert np.array_equal(back[0], value[0]) and back[0].shape == (2, 3)
    assert back[1] == 1.5 and isinstance(back[1], np.float64)
    assert back[2:6] == (3, 2.5, "s", None)
    assert back[6][1] == 7 and back[6][1].dtype == np.int32


def test_zero_d_and_non_finite_values_survive():
    back = roundtrip((np.array(2.0), float("nan"), float("inf"), np.array([np.nan, -np.inf])))
    assert back[0].shape == ()
    assert np.isnan(back[1]) and back[2] == float("inf")
    assert np.isnan(back[3][0]) and back[3][1] == -np.inf


def test_an_int_beyond_any_float_is_described_not_raised():
    """10**400 from a sigmoid: converting it to a float raised inside the worker's encoder, and
    the report said the student's function "raised OverflowError" (probe s54)."""
    from grader.checks_api import describe_result
    back = roundtrip((2**70, 10**400, -(10**5000)))
    assert back[0] == float(2**70)
    assert describe_result(back[1]) == "an int of about 401 digits, beyond the largest float"
    assert describe_result(back[2]) == ("a negative int of about 5,001 digits, beyond the "
                                        "largest float")


class Liar(np.ndarray):
    def __eq__(self, other):  # a subclass that says it equals anything
        return True


def test_objects_that_are_not_plain_data_arrive_as_descriptions():
    lying = np.zeros(3).view(Liar)
    back = roundtrip((lying, object(), np.array([object()], dtype=object), {1, 2}))
    assert all(isinstance(b, wire.Opaque) for b in back)
    assert "Liar" in back[0].type_name


def test_refuses_object_dtype_and_bad_sizes_on_decode():
    with pytest.raises(wire.WireError):
        wire.decode_value({"t": "nd", "dtype": "|O", "shape": [1], "blob": 0}, [b"\0" * 8])
    with pytest.raises(wire.WireError):
        wire.decode_value({"t": "nd", "dtype": "<f8", "shape": [2], "blob": 0}, [b"\0" * 8])
    with pytest.raises(wire.WireError):
        wire.decode_value({"t": "pickle", "data": "..."}, [])


def test_garbage_frames_are_rejected():
    with pytest.raises(wire.WireError):
        wire.read_frame(io.BytesIO(b"XXXX" + b"\0" * 20))
    with pytest.raises(EOFError):
        wire.read_frame(io.BytesIO(b""))


def test_hostile_repr_does_not_break_encoding():
    class Bad:
        def __repr__(self):
            raise RuntimeError("no")

    node, _ = wire.encode_value(Bad())
    assert node["t"] == "opaque" and node["text"] == "<unprintable>"


def test_dicts_with_string_keys_and_drained_generators_cross_as_data():
    table = {"am": 0, "because": 1, "happy": np.int64(2)}
    drained = wire.Iterated((("i", "am"), np.zeros(2)), complete=True, error="")
    back = roundtrip((table, drained, {1: "one"}))
    assert back[0] == {"am": 0, "because": 1, "happy": 2} and list(back[0]) == ["am", "because", "happy"]
    assert isinstance(back[1], wire.Iterated) and back[1].items[0] == ("i", "am")
    assert np.array_equal(back[1].items[1], np.zeros(2)) and back[1].complete
    assert isinstance(back[2], wire.Opaque)  # keys that are not strings: not a plain table


def test_a_dict_of_arrays_joins_a_reply_after_other_blobs():
    """The worker renumbers a result's blobs to follow the arguments' (echo_args) in one reply: a
    dict's arrays must be renumbered too, and stay a dict (PA6's backward returns one)."""
    from grader.worker.main import _rebase

    blobs = [b"taken by an earlier value"]
    node, extra = wire.encode_value({"W1": np.arange(3.0), "b1": np.ones(2)})
    back = wire.decode_value(_rebase(node, extra, blobs), blobs)
    assert list(back) == ["W1", "b1"]
    assert np.array_equal(back["W1"], np.arange(3.0)) and np.array_equal(back["b1"], np.ones(2))


def _frame_with_header(head: bytes) -> io.BytesIO:
    import struct
    return io.BytesIO(wire.MAGIC + struct.pack("<I", len(head)) + head + struct.pack("<I", 0))


def test_a_header_that_would_cost_gigabytes_to_parse_is_refused_unparsed():
    """A frame may be the submission's own: JSON of empty lists costs about 30 times its size
    once parsed (a 55 MB header took the grader to 2.9 GB)."""
    many = b'{"v": [' + b",".join([b"[]"] * (wire.MAX_HEADER_CONTAINERS + 1)) + b"]}"
    with pytest.raises(wire.WireError, match="too many lists"):
        wire.read_frame(_frame_with_header(many))
    with pytest.raises(wire.WireError, match="header too large"):
        wire.read_frame(io.BytesIO(wire.MAGIC + (wire.MAX_HEADER_BYTES + 1).to_bytes(4, "little")))
    fine = b'{"v": [' + b",".join([b"[]"] * 1000) + b"]}"
    assert len(wire.read_frame(_frame_with_header(fine))[0]["v"]) == 1000


def test_a_long_class_name_or_string_is_shown_cut():
    from grader.checks_api import SHOWN_CHARS, show
    liar = type("Big", (), {})
    liar.__qualname__ = "Q" * 2**20
    back = roundtrip(liar())
    assert len(back.type_name) < 300 and len(show(back)) < 1000
    text = show("Q" * 2**20)
    assert len(text) < SHOWN_CHARS + 100 and text.endswith("(1,048,578 characters in all)")


def test_arrays_over_the_bound_are_refused_before_any_byte_is_copied():
    """An answer of np.ones(50_000_000) was copied twice (its bytes, then the frame) before the
    frame's bound refused it: 1.2 GB touched per call, 15 s for a grade of such an upload. The
    bound now counts each array's bytes before copying it. (A broadcast view holds 8 bytes and
    would copy as 400 MB: nothing near that may be allocated.)"""
    import tracemalloc

    small = np.arange(3.0)
    huge = np.broadcast_to(np.ones(1), (50_000_000,))
    tracemalloc.start()
    try:
        with pytest.raises(wire.TooLarge) as refused:
            wire.encode_value([small, {"grad": huge}], limit=wire.MAX_FRAME_BYTES)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, peak
    assert (refused.value.total, refused.value.arrays) == (24 + 400_000_000, 2)
    assert (refused.value.dtype, refused.value.shape) == ("float64", (50_000_000,))
    # Within the bound, and without one, the same value encodes as before.
    node, blobs = wire.encode_value([small, small], limit=48)
    assert blobs == [small.tobytes()] * 2 and wire.decode_value(node, blobs)[1].tolist() == [0, 1, 2]
    with pytest.raises(wire.TooLarge):
        wire.encode_value([small, small], limit=47)


def test_a_run_frame_from_requests_serialised_once_reads_as_one_made_whole():
    """grader/proxy.run_frame puts a check's requests together from each one's serialised part:
    the worker must read exactly the header and blobs a frame serialised whole would give."""
    from grader.proxy import Request, run_frame

    calls = [(np.arange(6.0).reshape(2, 3), -0.0, "w\u00f6rd \"q\"\n"),
             ([1, 2], {"k": np.float32(1.5)}, wire.ReplayDataset((3, 1, 4))),
             (float("nan"), np.array([True, False]), None)]
    requests = []
    for function, echo in (("softmax", False), ("negSamplingCostAndGradient", True)):
        node, blobs = wire.encode_value(calls)
        requests.append(Request(function, node, tuple(blobs), echo))
    node, blobs = wire.encode_value([()])
    requests.append(Request("sigmoid", node, tuple(blobs), False))  # no blobs of its own
    entries, all_blobs = [], []
    for r in requests:
        entries.append({"function": r.function, "calls": r.node, "echo_args": r.echo_args,
                        "blob_range": [len(all_blobs), len(r.blobs)]})
        all_blobs.extend(r.blobs)
    check = "test_x.py::test_y[\u00e9\"]"
    whole = wire.read_frame(io.BytesIO(wire.message(
        {"op": "run", "check": check, "requests": entries}, all_blobs)))
    for _ in range(2):  # the second time from the parts kept
        assert wire.read_frame(io.BytesIO(run_frame(check, requests))) == whole


def test_a_list_nested_past_the_bound_or_holding_itself_arrives_cut_not_refused():
    """The encoder cut nesting one level below where the decoder refuses it: a list 33 deep, or
    one holding itself, was refused as a malformed reply ("does your code fork...?"; probe s56)."""
    deep = 0.5
    for _ in range(wire.MAX_DEPTH + 8):
        deep = [deep]
    cycle: list = []
    cycle.append(cycle)
    for value in (deep, cycle):
        back = roundtrip(value)
        depth = 0
        while isinstance(back, list):
            (back,), depth = back, depth + 1
        assert isinstance(back, wire.Opaque) and back.type_name == "deeply nested data"
        assert depth == wire.MAX_DEPTH


def test_an_object_array_and_a_one_item_generator_are_worded_plainly():
    """Probe s61: "a numpy array of dtype object object: array([...])" and "it yielded 1 items"."""
    from grader.checks_api import describe_type, show
    node, blobs = wire.encode_value(np.array([1, "a"], dtype=object))
    shown = show(wire.decode_value(node, blobs))
    assert shown.startswith("a numpy array of dtype object: array("), shown
    assert describe_type(wire.Iterated((1.0,))) == "a generator (it yielded 1 item)"
    assert describe_type(wire.Iterated((1.0, 2.0))) == "a generator (it yielded 2 items)"
    assert show(wire.Opaque("decimal.Decimal", "Decimal('1')")).startswith(
        "a decimal.Decimal object: ")


def test_a_default_repr_crosses_without_its_memory_address():
    """Python 2's `np.array(map(f, x))` returns an object array holding a map object, whose repr
    says where it lives in memory: the report's "returned", its HTML and the wrong answer's
    fingerprint differed between two grades of the same upload, and two identical uploads were
    not grouped as one wrong answer (probe s62-recheck, row 3). The address is left out before
    the text is cut, so none is cut in its middle; a student's own text is kept."""
    from grader import fingerprint
    first = roundtrip(np.array(map(abs, [1.0]), dtype=object))
    second = roundtrip((np.array(map(abs, [2.0]), dtype=object), object()))
    assert first.text == second[0].text == "array(<map object>, dtype=object)", first.text
    assert second[1].text == "<object object>"
    assert fingerprint.of_failure("p", "f(x)", first) == fingerprint.of_failure("p", "f(x)",
                                                                                 second[0])
    many = roundtrip([np.array([map(abs, [i]) for i in range(40)] + [None], dtype=object)])[0]
    assert " at 0x" not in many.text and many.text.endswith("...") and "0x" not in many.text
    assert len(many.text) == wire.OPAQUE_TEXT_CHARS + 3
    mine = roundtrip({1: "seen at 0x10 today"})
    assert mine.text == "{1: 'seen at 0x10 today'}"
