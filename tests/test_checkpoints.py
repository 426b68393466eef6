"""N from checkpoint headers: safetensors files, sharded indexes, GGUF, model folders.

Every checkpoint here is written by the test itself with the reference writers (the
``safetensors`` and ``gguf`` packages), so the expected count is the sum of the tensors the
test wrote, and the readers of those packages give a second, independent opinion.
"""

import json
import os
import struct

import numpy as np
import pytest

import planner
from planner import ConfigError
from planner.cli import main
from planner.model import checkpoints as C

safetensors_numpy = pytest.importorskip("safetensors.numpy")
gguf = pytest.importorskip("gguf")
from safetensors import safe_open  # noqa: E402


def write_safetensors(path, tensors, metadata=None):
    safetensors_numpy.save_file(tensors, str(path), metadata=metadata)
    return path


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


MIXED = {  # one tensor per dtype numpy can write, odd shapes, a scalar and an empty tensor
    "model.embed_tokens.weight": np.zeros((37, 8), np.float16),
    "model.layers.0.self_attn.q_proj.weight": np.zeros((8, 8), np.float32),
    "model.layers.0.mlp.up_proj.weight": np.zeros((11, 8), np.float64),
    "model.layers.0.q_scale": np.zeros((), np.float32),
    "model.layers.0.empty": np.zeros((0, 5), np.float32),
    "packed.qweight": np.zeros((4, 3), np.int32),
    "flags": np.zeros((7,), np.bool_),
    "bytes": np.zeros((5, 2), np.uint8),
    "big": np.zeros((2, 3, 4), np.int64),
}


# ---------------------------------------------------------------------------------------- safetensors

def test_safetensors_count_is_the_sum_of_the_tensors_written(tmp_path):
    f = write_safetensors(tmp_path / "model.safetensors", MIXED)
    c = C.read_safetensors(f)
    assert c.total == sum(a.size for a in MIXED.values())
    assert dict(c.tensors) == {k: a.size for k, a in MIXED.items()}
    assert c.nbytes == sum(a.nbytes for a in MIXED.values())
    assert c.dtypes["F16"] == (37 * 8, 37 * 8 * 2) and c.dtypes["I64"] == (24, 192)
    with safe_open(str(f), framework="numpy") as g:  # the reference reader agrees, tensor by tensor
        # safe_open is not iterable: keys() is its only way to list the tensors
        assert {k: int(np.prod(g.get_slice(k).get_shape())) for k in g.keys()} == dict(c.tensors)  # noqa: SIM118


def test_sharded_index_sums_every_shard(tmp_path):
    shards = {"model-00001-of-00003.safetensors": {"a": np.zeros((3, 4), np.float32)},
              "model-00002-of-00003.safetensors": {"b": np.zeros((5,), np.float16), "c": np.zeros((2, 2), np.int8)},
              "model-00003-of-00003.safetensors": {"lm_head.weight": np.zeros((9, 4), np.float32)}}
    weight_map = {}
    for name, ts in shards.items():
        write_safetensors(tmp_path / name, ts)
        weight_map.update({k: name for k in ts})
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {"total_size": 0}, "weight_map": weight_map}))
    c = C.read_checkpoint(index)
    assert c.format == "safetensors-index" and len(c.files) == 3
    assert c.total == 12 + 5 + 4 + 36 == planner.count_params(index).total


def test_index_problems_are_config_errors(tmp_path):
    write_safetensors(tmp_path / "s1.safetensors", {"a": np.zeros((2,), np.float32)})
    index = tmp_path / "model.safetensors.index.json"
    cases = {
        '{"weight_map": {"a": "../s1.safetensors"}}': "beside the index",
        '{"weight_map": {"a": "missing.safetensors"}}': "is missing",
        '{"weight_map": {"a": "s1.safetensors", "zz": "s1.safetensors"}}': "in no shard",
        '{"weight_map": {}}': "non-empty object",
        '[1, 2]': "weight_map",
        '{"weight_map": ': "not valid JSON",
    }
    for text, message in cases.items():
        index.write_text(text)
        with pytest.raises(ConfigError, match=message):
            C.read_checkpoint(index)


# ---------------------------------------------------------------------------------------- GGUF

def write_gguf(path, endian=None, alignment=None):
    kw = {} if endian is None else {"endianess": endian}
    w = gguf.GGUFWriter(str(path), "llama", **kw)
    if alignment:
        w.add_custom_alignment(alignment)
    w.add_block_count(2)
    w.add_expert_count(4)
    w.add_expert_used_count(1)
    w.add_token_list([f"tok{i}" for i in range(500)])  # an array of strings before the tensor infos
    w.add_token_scores([0.0] * 500)
    Q = gguf.GGMLQuantizationType
    w.add_tensor("token_embd.weight", np.zeros((50, 32), np.float16))
    w.add_tensor("blk.0.attn_q.weight", np.zeros((32, 32), np.float32))
    w.add_tensor("blk.0.ffn_up_exps.weight", np.zeros((4, 16, 32), np.float16))
    w.add_tensor("blk.1.attn_k.weight", np.zeros((16, 2 * 34), np.uint8), raw_dtype=Q.Q8_0)  # 16 x 64 logical
    w.add_tensor("blk.1.attn_v.weight", np.zeros((8, 4 * 18), np.uint8), raw_dtype=Q.Q4_0)   # 8 x 128 logical
    w.add_tensor("output_norm.weight", np.zeros((32,), np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path, 50 * 32 + 32 * 32 + 4 * 16 * 32 + 16 * 64 + 8 * 128 + 32


@pytest.mark.parametrize("endian", ["little", "big"])
def test_gguf_count_is_the_sum_of_the_logical_tensor_sizes(tmp_path, endian):
    e = gguf.GGUFEndian.LITTLE if endian == "little" else gguf.GGUFEndian.BIG
    path, expected = write_gguf(tmp_path / "m.gguf", e)
    c = C.read_gguf(path)
    assert c.total == expected
    assert c.dtypes["Q8_0"] == (1024, 16 * 2 * 34) and c.dtypes["Q4_0"] == (1024, 8 * 4 * 18)
    assert c.metadata["general.architecture"] == "llama" and c.metadata["llama.expert_count"] == 4
    if endian == "little":  # the reference reader agrees
        r = gguf.GGUFReader(str(path))
        assert {t.name: int(t.n_elements) for t in r.tensors} == dict(c.tensors)
    pc = planner.count_params(path)  # GGUF states E and k: active N drops 3 of the 4 fused experts
    assert pc.total == expected and pc.active == expected - 3 * 16 * 32


def test_gguf_custom_alignment(tmp_path):
    path, expected = write_gguf(tmp_path / "m.gguf", alignment=64)
    assert C.read_gguf(path).total == expected


def test_ggml_type_table_matches_gguf_py():
    for t, (block, size) in gguf.constants.GGML_QUANT_SIZES.items():
        if int(t) in C.GGML_TYPES:
            assert C.GGML_TYPES[int(t)][1:] == (block, size), t.name


# ---------------------------------------------------------------------------------------- folders

def llama_folder(tmp, *, tie=False, store_tied_head=False):
    """A tiny llama: shapes written out by hand from the Hugging Face modeling code."""
    d, h, kv, e, f, V, L = 16, 4, 2, 4, 40, 30, 2
    cfg = {"model_type": "llama", "hidden_size": d, "num_attention_heads": h, "num_key_value_heads": kv,
           "intermediate_size": f, "vocab_size": V, "num_hidden_layers": L, "tie_word_embeddings": tie}
    t = {"model.embed_tokens.weight": (V, d), "model.norm.weight": (d,)}
    for i in range(L):
        p = f"model.layers.{i}."
        t.update({p + "self_attn.q_proj.weight": (h * e, d), p + "self_attn.k_proj.weight": (kv * e, d),
                  p + "self_attn.v_proj.weight": (kv * e, d), p + "self_attn.o_proj.weight": (d, h * e),
                  p + "mlp.gate_proj.weight": (f, d), p + "mlp.up_proj.weight": (f, d),
                  p + "mlp.down_proj.weight": (d, f), p + "input_layernorm.weight": (d,),
                  p + "post_attention_layernorm.weight": (d,)})
    if not tie or store_tied_head:
        t["lm_head.weight"] = (V, d)
    tmp.mkdir(exist_ok=True)
    (tmp / "config.json").write_text(json.dumps(cfg))
    write_safetensors(tmp / "model.safetensors", {k: np.zeros(s, np.float16) for k, s in t.items()})
    return sum(int(np.prod(s)) for s in t.values())


def test_folder_config_and_weights_agree_exactly(tmp_path, capsys):
    written = llama_folder(tmp_path / "m")
    assert planner.count_params(tmp_path / "m").total == written
    code, out, _ = run(["params", str(tmp_path / "m"), "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["source"] == "config" and d["agrees"] is True and d["differences"] == []
    assert d["total"] == d["checkpoint_total"] == written
    assert {"total", "embedding", "non_embedding", "active", "breakdown"} <= set(d)
    assert d["checkpoint"]["dtypes"] == {"F16": {"params": written, "bytes": 2 * written}}
    code, out, _ = run(["params", str(tmp_path / "m")], capsys)
    assert "agrees with the config" in out


def test_tied_head_stored_twice_is_explained(tmp_path, capsys):
    written = llama_folder(tmp_path / "m", tie=True, store_tied_head=True)
    code, out, _ = run(["params", str(tmp_path / "m"), "--json"], capsys)
    d = json.loads(out)
    assert d["checkpoint_total"] == written == d["total"] + 30 * 16
    assert d["agrees"] is False and "tied LM head is stored a second time" in d["differences"][0]


def test_gpt2_buffers_are_explained(tmp_path, capsys):
    d_, L, V, P = 8, 1, 20, 16
    cfg = {"model_type": "gpt2", "n_embd": d_, "n_head": 2, "n_layer": L, "vocab_size": V, "n_positions": P}
    t = {"wte.weight": (V, d_), "wpe.weight": (P, d_), "ln_f.weight": (d_,), "ln_f.bias": (d_,)}
    for i in range(L):
        p = f"h.{i}."
        t.update({p + "ln_1.weight": (d_,), p + "ln_1.bias": (d_,), p + "ln_2.weight": (d_,), p + "ln_2.bias": (d_,),
                  p + "attn.c_attn.weight": (d_, 3 * d_), p + "attn.c_attn.bias": (3 * d_,),
                  p + "attn.c_proj.weight": (d_, d_), p + "attn.c_proj.bias": (d_,),
                  p + "mlp.c_fc.weight": (d_, 4 * d_), p + "mlp.c_fc.bias": (4 * d_,),
                  p + "mlp.c_proj.weight": (4 * d_, d_), p + "mlp.c_proj.bias": (d_,),
                  p + "attn.bias": (1, 1, P, P)})  # the causal mask old GPT-2 checkpoints store
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    write_safetensors(tmp_path / "model.safetensors", {k: np.zeros(s, np.float32) for k, s in t.items()})
    params = sum(int(np.prod(s)) for k, s in t.items() if not k.endswith(".attn.bias"))
    assert planner.count_params(tmp_path).total == params
    code, out, _ = run(["params", str(tmp_path), "--json"], capsys)
    d = json.loads(out)
    assert d["checkpoint_total"] - d["total"] == P * P * L
    assert "buffer" in d["differences"][0] and d["differences"][1:] == []


def test_metadata_total_that_lies_is_reported(tmp_path, capsys):
    f = write_safetensors(tmp_path / "m.safetensors", {"a.weight": np.zeros((3, 3), np.float32)},
                          metadata={"total_parameters": "1000"})
    code, out, _ = run(["params", str(f)], capsys)
    assert code == 0 and "the metadata claims 1,000 parameters but the tensor shapes sum to 9" in out


def test_folder_with_unsupported_config_is_counted_from_headers(tmp_path, capsys):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "not_a_family_anyone_has"}))
    write_safetensors(tmp_path / "model.safetensors",
                      {"model.embed_tokens.weight": np.zeros((10, 2), np.float32),
                       "model.layers.0.mlp.up_proj.weight": np.zeros((3, 2), np.float32)})
    assert planner.count_params(tmp_path).total == 26
    code, out, _ = run(["params", str(tmp_path), "--json"], capsys)
    d = json.loads(out)
    assert d["source"] == "checkpoint" and d["breakdown"]["embeddings"] == 20 and d["breakdown"]["mlp"] == 6


def test_bare_checkpoint_has_no_architecture(tmp_path):
    f = write_safetensors(tmp_path / "m.safetensors", {"a": np.zeros((2,), np.float32)})
    with pytest.raises(ConfigError, match="checkpoint without config.json"):
        planner.architecture(f)


# ---------------------------------------------------------------------------------------- malformed input

def header_file(path, header, data=b"", length=None):
    raw = json.dumps(header).encode() if not isinstance(header, bytes) else header
    path.write_bytes(struct.pack("<Q", len(raw) if length is None else length) + raw + data)
    return path


MALFORMED = {
    "truncated": (lambda p: (p.write_bytes(b"\x01\x02\x03"), p)[1], "truncated"),
    "absurd_length": (lambda p: header_file(p, {}, length=2**62), "absurd"),
    "length_past_end": (lambda p: header_file(p, {}, length=4096), "past the end"),
    "not_json": (lambda p: header_file(p, b"{not json"), "not valid JSON"),
    "not_object": (lambda p: header_file(p, [1, 2]), "JSON object"),
    "shape_not_list": (lambda p: header_file(p, {"a": {"dtype": "F32", "shape": 3, "data_offsets": [0, 12]}},
                                             b"\0" * 12),
                       r"\.shape: must be a list of non-negative integers"),
    "shape_negative": (lambda p: header_file(p, {"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}),
                       r"\.shape"),
    "shape_float": (lambda p: header_file(p, {"a": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}},
                                          b"\0" * 8),
                    r"\.shape"),
    "shape_bool": (lambda p: header_file(p, {"a": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}},
                                         b"\0" * 4),
                   r"\.shape"),
    "offsets_past_end": (lambda p: header_file(p, {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}},
                                               b"\0" * 8),
                         r"data_offsets: end 16 is past the end"),
    "offsets_wrong_size": (lambda p: header_file(p, {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}},
                                                 b"\0" * 8),
                           r"data_offsets: hold 8 bytes"),
    "offsets_reversed": (lambda p: header_file(p, {"a": {"dtype": "F32", "shape": [0], "data_offsets": [4, 0]}},
                                               b"\0" * 4),
                         r"data_offsets: must be \[begin, end\]"),
    "unknown_dtype": (lambda p: header_file(p, {"a": {"dtype": "F13", "shape": [1], "data_offsets": [0, 2]}},
                                            b"\0" * 2),
                      r"\.dtype: unknown dtype 'F13'"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_safetensors_header_is_one_config_error(tmp_path, capsys, case):
    make, message = MALFORMED[case]
    f = make(tmp_path / "bad.safetensors")
    with pytest.raises(ConfigError, match=message):
        C.read_checkpoint(f)
    code, out, err = run(["params", str(f)], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and "bad.safetensors" in err


def gguf_bytes(tmp_path):
    path, _ = write_gguf(tmp_path / "ok.gguf")
    return path.read_bytes()


def test_malformed_gguf_is_one_config_error(tmp_path, capsys):
    good = gguf_bytes(tmp_path)
    r = gguf.GGUFReader(str(tmp_path / "ok.gguf"))
    data_start = r.data_offset
    q_info = good.index(b"blk.1.attn_k.weight") + len(b"blk.1.attn_k.weight")  # then n_dims, dims, type
    bad_type = bytearray(good)
    bad_type[q_info + 4 + 16: q_info + 4 + 16 + 4] = struct.pack("<I", 99)
    cases = {
        "magic": (b"GGUX" + good[4:], "no GGUF magic"),
        "version1": (good[:4] + struct.pack("<I", 1) + good[8:], "version 1 is not supported"),
        "cut_in_metadata": (good[:200], "truncated GGUF header"),
        "cut_in_data": (good[:data_start + 100], r"offset: data ends at .* past the end"),
        "absurd_count": (good[:8] + struct.pack("<Q", 2**60) + good[16:], "not a plausible header"),
        "unknown_type": (bytes(bad_type), "unknown ggml type 99"),
    }
    for name, (raw, message) in cases.items():
        f = tmp_path / f"{name}.gguf"
        f.write_bytes(raw)
        with pytest.raises(ConfigError, match=message):
            C.read_checkpoint(f)
        code, out, err = run(["params", str(f)], capsys)
        assert code == 2 and out == "" and err.count("\n") == 1, name


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_blocking(tmp_path, capsys):
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    code, _, err = run(["params", str(fifo)], capsys)
    assert code == 2 and "FIFO" in err
    code, _, err = run(["params", str(tmp_path)], capsys)  # a folder whose weights are a FIFO
    assert code == 2 and "FIFO" in err


def test_folder_without_weights_or_with_pickles(tmp_path, capsys):
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04")
    code, _, err = run(["params", str(tmp_path)], capsys)
    assert code == 2 and "no safetensors or GGUF weights" in err and "pickle" in err


def test_only_the_header_is_read(tmp_path, monkeypatch):
    """A 1 GiB sparse data section is never touched: the bytes read are the header's."""
    header = {"w": {"dtype": "F32", "shape": [2**28], "data_offsets": [0, 2**30]}}
    f = header_file(tmp_path / "big.safetensors", header)
    with open(f, "r+b") as fh:
        fh.truncate(os.path.getsize(f) + 2**30)
    read = []
    real = os.fdopen

    def counting_fdopen(fd, *a, **k):
        fh = real(fd, *a, **k)
        orig = fh.read

        def r(n=-1):
            data = orig(n)
            read.append(len(data))
            return data
        fh.read = r
        return fh
    monkeypatch.setattr(os, "fdopen", counting_fdopen)
    assert C.read_checkpoint(f).total == 2**28
    assert sum(read) == 8 + len(json.dumps(header))


@pytest.mark.parametrize("extra, reason", [
    ({"model.layers.2.self_attn.q_proj.weight": (16, 16)}, "layers beyond num_hidden_layers=2"),
    ({"vision_model.patch_embed.weight": (8, 3)}, "vision tower"),
    ({"model.layers.0.self_attn.rotary_emb.inv_freq": (2,)}, "buffer"),
])
def test_extra_tensors_are_explained(tmp_path, capsys, extra, reason):
    written = llama_folder(tmp_path / "m")
    more = {k: np.zeros(s, np.float16) for k, s in extra.items()}
    with safe_open(str(tmp_path / "m" / "model.safetensors"), framework="numpy") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open is not iterable)
    write_safetensors(tmp_path / "m" / "model.safetensors", {**tensors, **more})
    code, out, _ = run(["params", str(tmp_path / "m"), "--json"], capsys)
    d = json.loads(out)
    assert d["total"] == written and d["checkpoint_total"] == written + sum(a.size for a in more.values())
    assert len(d["differences"]) == 1 and reason in d["differences"][0]


@pytest.mark.parametrize("name, kind", [
    # Hugging Face names
    ("model.embed_tokens.weight", "embeddings"), ("transformer.wte.weight", "embeddings"),
    ("transformer.wpe.weight", "positions"), ("lm_head.weight", "head"), ("gpt_neox.embed_out.weight", "head"),
    ("model.layers.3.self_attn.q_proj.weight", "attention"), ("model.layers.3.self_attn.sinks", "attention"),
    ("model.layers.3.mlp.gate_proj.weight", "mlp"), ("model.layers.3.mlp.gate.weight", "router"),
    ("model.layers.3.mlp.experts.gate_up_proj", "experts"), ("model.layers.3.mlp.experts.7.w1.weight", "experts"),
    ("model.layers.3.mlp.shared_experts.up_proj.weight", "shared_experts"),
    ("model.layers.3.mlp.shared_expert_gate.weight", "shared_experts"),
    ("model.layers.3.mlp.gate.e_score_correction_bias", "buffer"), ("h.0.attn.bias", "buffer"),
    ("model.layers.3.input_layernorm.weight", "norms"), ("backbone.layers.0.mixer.in_proj.weight", "ssm"),
    ("model.vision_tower.blocks.0.attn.qkv.weight", "vision"), ("multi_modal_projector.linear_1.weight", "vision"),
    # GGUF names
    ("token_embd.weight", "embeddings"), ("output.weight", "head"), ("blk.0.attn_q.weight", "attention"),
    ("blk.0.ffn_gate_inp.weight", "router"), ("blk.0.ffn_up_exps.weight", "experts"),
    ("blk.0.ffn_up_shexp.weight", "shared_experts"), ("blk.0.ffn_up.weight", "mlp"),
    ("blk.0.attn_norm.weight", "norms"), ("blk.0.ssm_conv1d.weight", "ssm"), ("rope_freqs.weight", "buffer"),
])
def test_tensor_kinds_by_name(name, kind):
    assert C.tensor_kind(name) == kind
