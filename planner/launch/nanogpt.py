"""nanoGPT: a ``config/*.py`` file merged over ``train.py``'s defaults.

The file is parsed with :mod:`ast`, never executed: each statement must be a plain
assignment ``name = expression`` of numbers, strings, booleans and arithmetic over names
already set (``gradient_accumulation_steps = 5 * 8``). Imports are skipped; an assignment
whose value cannot be evaluated without running code (``str(time.time())``) is listed as
not evaluated, and is an error only for the keys the plan needs. Keys that ``train.py``
does not define are errors, as in nanoGPT's own configurator.

How nanoGPT counts (``train.py``): ``gradient_accumulation_steps`` is global — under DDP
each of the world-size ranks runs ``gradient_accumulation_steps // world_size`` micro-steps
(it must divide), so tokens per iteration = gradient_accumulation_steps × batch_size ×
block_size whatever the GPU count. The training loop runs iterations 0 … max_iters
inclusive: ``max_iters + 1`` optimizer steps. From scratch the vocabulary is 50,304 (GPT-2's
50,257 padded), the LM head is tied to the token embedding, positions are learned
(``block_size`` rows), and ``bias = False`` removes the Linear biases and the LayerNorm
biases (weight-only LayerNorm).
"""

from __future__ import annotations

import ast
import operator
from pathlib import Path
from typing import Any

from .. import limits, validate
from ..model.architecture import Architecture
from .common import (
    LaunchConfig,
    Source,
    architecture_fields,
    training_table,
    world_size,
)

#: ``train.py``'s defaults (karpathy/nanoGPT, commit 3adf61e1). ``dtype`` there is
#: ``'bfloat16'`` when the GPU supports it, else ``'float16'``.
TRAIN_PY_DEFAULTS = {
    "out_dir": "out", "eval_interval": 2000, "log_interval": 1, "eval_iters": 200, "eval_only": False,
    "always_save_checkpoint": True, "init_from": "scratch", "wandb_log": False, "wandb_project": "owt",
    "wandb_run_name": "gpt2", "dataset": "openwebtext", "gradient_accumulation_steps": 5 * 8, "batch_size": 12,
    "block_size": 1024, "n_layer": 12, "n_head": 12, "n_embd": 768, "dropout": 0.0, "bias": False,
    "learning_rate": 6e-4, "max_iters": 600000, "weight_decay": 1e-1, "beta1": 0.9, "beta2": 0.95,
    "grad_clip": 1.0, "decay_lr": True, "warmup_iters": 2000, "lr_decay_iters": 600000, "min_lr": 6e-5,
    "backend": "nccl", "device": "cuda", "dtype": "bfloat16", "compile": True,
}
GPT2_PADDED_VOCAB = 50304
#: ``GPT.from_pretrained``'s table: n_layer, n_head, n_embd (vocabulary 50,257, 1,024 positions, biases).
PRETRAINED = {"gpt2": (12, 12, 768), "gpt2-medium": (24, 16, 1024), "gpt2-large": (36, 20, 1280),
              "gpt2-xl": (48, 25, 1600)}
_NEEDED = ("n_layer", "n_head", "n_embd", "block_size", "bias", "batch_size", "gradient_accumulation_steps",
           "max_iters", "init_from")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}


class _NotEvaluated(Exception):
    pass


class _TooLarge(Exception):
    pass


#: The largest integer an expression may build (bits): far above any count (10**30 is 100 bits).
_MAX_BITS = 1024


def _size_ok(op: ast.operator, a: Any, b: Any) -> bool:
    """Whether ``a op b`` stays small, judged before it is computed."""
    if isinstance(a, str) or isinstance(b, str):
        if isinstance(op, ast.Add) and isinstance(a, str) and isinstance(b, str):
            return len(a) + len(b) <= limits.MAX_EXPANDED
        return True
    if isinstance(a, int) and isinstance(b, int) and isinstance(op, ast.Mult):
        return a.bit_length() + b.bit_length() <= _MAX_BITS
    if isinstance(op, ast.Pow) and isinstance(b, (int, float)):
        if isinstance(a, int) and isinstance(b, int) and b > 0:
            return max(a.bit_length(), 1) * b <= _MAX_BITS or abs(a) <= 1
        return abs(b) <= _MAX_BITS
    return True


def _evaluate(node: ast.AST, env: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool)):
        if isinstance(node.value, str) and len(node.value) > limits.MAX_EXPANDED:
            raise _TooLarge
        return node.value
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _evaluate(node.operand, env)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        a, b = _evaluate(node.left, env), _evaluate(node.right, env)
        if isinstance(node.op, (ast.Mult, ast.Mod)) and (isinstance(a, str) or isinstance(b, str)):
            raise _NotEvaluated  # 'x' * 10**9, '%0999999999d' % 1 would build gigabytes
        if not _size_ok(node.op, a, b):
            raise _TooLarge
        try:
            return _OPS[type(node.op)](a, b)
        except (TypeError, ZeroDivisionError, OverflowError, ValueError):
            raise _NotEvaluated from None
    raise _NotEvaluated


def _settings(src: Source) -> tuple[dict[str, Any], set[str]]:
    """The settings (train.py's defaults overridden by the file) and the keys the file set."""
    try:
        tree = ast.parse(src.text, filename=src.path.name)
    except SyntaxError as e:
        if e.lineno:
            src.lines["python"] = e.lineno
        raise src.error("python", f"not valid Python: {e.msg}") from None
    except (ValueError, RecursionError, MemoryError) as e:  # null bytes, nesting thousands deep
        raise src.error("python", f"not a usable Python file ({type(e).__name__})") from None
    env = dict(TRAIN_PY_DEFAULTS)
    skipped: dict[str, int] = {}
    for st in tree.body:
        if isinstance(st, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant) and isinstance(st.value.value, str):
            continue  # a docstring
        target = None
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            target, value = st.targets[0].id, st.value
        elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.value is not None:
            target, value = st.target.id, st.value
        if target is None:
            src.lines["statement"] = st.lineno
            raise src.error("statement", "not a plain assignment (name = value): nanoGPT config files "
                                         "are read, not run")
        src.lines[target] = st.lineno
        if target not in TRAIN_PY_DEFAULTS:
            raise src.error(target, "not a nanoGPT train.py setting (unknown config key)")
        try:
            env[target] = _evaluate(value, env)
            skipped.pop(target, None)
        except _NotEvaluated:
            skipped[target] = st.lineno
        except (_TooLarge, RecursionError):
            raise src.error(target, "its value grows beyond what the planner evaluates (integers up to "
                                    f"{_MAX_BITS} bits, text up to {limits.MAX_EXPANDED:,} characters); "
                                    "write the number itself") from None
    for key, line in skipped.items():
        if key in _NEEDED:
            raise src.error(key, "its value cannot be evaluated without running code; write a number")
        src.assume(key, f"not evaluated (line {line})", "needs running code; it does not change N or D")
    return env, {k for k in env if k in src.lines}


def read(path: Path, text: str, *, gpus: Any = None, nodes: Any = None, gpus_per_node: Any = None) -> LaunchConfig:
    """Read a nanoGPT config file merged over ``train.py``'s defaults (see the module docstring).

    Args:
        path: the file (named in errors; paths inside it are relative to its folder).
        text: its text.
        gpus: the total number of GPUs (``--gpus``), when the file does not state it.
        nodes: the number of nodes (``--nodes``).
        gpus_per_node: GPUs per node (``--gpus-per-node``).

    Returns:
        The :class:`~planner.launch.common.LaunchConfig` (the plan document, what was read and assumed).

    Raises:
        PlanFileError: naming the file, the line and the key: not valid Python, a statement that is not a plain
            assignment, a setting train.py does not have, a value that needs running code or of the wrong type,
            an ``init_from`` that is not scratch, resume or a GPT-2 name, or settings that contradict each
            other.
        InputError: ``gpus``, ``nodes`` or ``gpus_per_node`` is not acceptable.
    """
    src = Source(path, "nanogpt", text)
    cfg, given = _settings(src)

    def get(key: str, sets: str, kind: str = "count") -> Any:
        v = cfg[key]
        if kind == "count":
            v = src.count(key, v)
        elif kind == "flag" and not isinstance(v, bool):
            raise src.error(key, f"must be True or False, got {validate.shown(v)}")
        if key in given:
            return src.took(key, v, sets)
        return src.assume(sets, v, f"train.py's default {key} = {validate.shown(v)}")

    init = cfg["init_from"]
    if not isinstance(init, str):
        raise src.error("init_from", f"must be 'scratch', 'resume' or a GPT-2 name, got {validate.shown(init)}")
    if "init_from" in given:
        src.took("init_from", init, "model")
    block = get("block_size", "training.seq_len")
    if init.startswith("gpt2"):
        if init not in PRETRAINED:
            raise src.error("init_from", f"one of scratch, resume, {', '.join(PRETRAINED)}; got {validate.shown(init)}")
        L, H, d = PRETRAINED[init]
        if block > 1024:
            raise src.error("block_size", f"{block:,} is more than GPT-2's 1,024 positions")
        arch = Architecture(num_layers=L, hidden_size=d, num_heads=H, vocab_size=50257, intermediate_size=4 * d,
                            tied_embeddings=True, gated_mlp=False, norm="layer", qkv_bias=True, o_bias=True,
                            mlp_bias=True, max_positions=block, family="nanogpt", name=init)
        src.assume("model", init, f"GPT.from_pretrained('{init}'): {L} layers, {H} heads, n_embd {d}, vocabulary "
                   f"50,257, biases; the position table cropped to block_size {block}")
        src.assume("training.prior_tokens", 0, "GPT-2's own pretraining tokens are not published exactly")
    else:
        if init == "resume":
            src.assume("model", "the config's dimensions", "init_from = 'resume' loads them from out_dir's "
                       "checkpoint; assumed equal to the config's, and the iterations already run are not known")
        elif init != "scratch":
            raise src.error("init_from", f"one of scratch, resume, {', '.join(PRETRAINED)}; got {validate.shown(init)}")
        L = get("n_layer", "model.dimensions.num_layers")
        H = get("n_head", "model.dimensions.num_heads")
        d = get("n_embd", "model.dimensions.hidden_size")
        bias = get("bias", "model.dimensions.qkv_bias/o_bias/mlp_bias/norm", "flag")
        src.assume("model.dimensions.vocab_size", GPT2_PADDED_VOCAB,
                   "train.py's from-scratch vocabulary: GPT-2's 50,257 padded to 50,304 (unless the dataset "
                   f"directory data/{cfg['dataset']}/meta.pkl sets one)")
        src.assume("model.dimensions.tied_embeddings", True, "nanoGPT ties lm_head to the token embedding")
        if d % H:
            raise src.error("n_embd", f"{d:,} is not divisible by n_head {H}")
        arch = Architecture(num_layers=L, hidden_size=d, num_heads=H, vocab_size=GPT2_PADDED_VOCAB,
                            intermediate_size=4 * d, tied_embeddings=True, gated_mlp=False,
                            norm="layer" if bias else "layer_nobias", qkv_bias=bias, o_bias=bias, mlp_bias=bias,
                            max_positions=block, family="nanogpt", name=src.path.stem)
    micro = get("batch_size", "training.micro_batch")
    accum = get("gradient_accumulation_steps", "training.grad_accum")
    max_iters = src.count("max_iters", cfg["max_iters"], minimum=0)
    if "max_iters" in given:
        src.took("max_iters", max_iters, "training.steps")
    else:
        src.assume("max_iters", max_iters, "train.py's default")
    world = world_size(src, gpus, nodes, gpus_per_node)
    if accum % world:
        raise src.error("gradient_accumulation_steps", f"{accum} is not divisible by the world size {world} "
                                                       "(nanoGPT asserts it under DDP)")
    steps = src.assume("training.steps", max_iters + 1, f"nanoGPT's loop runs iterations 0 … max_iters "
                       f"({max_iters:,}) inclusive")
    src.assume("training.grad_accum", accum // world, f"gradient_accumulation_steps {accum} // world size "
               f"{world} (nanoGPT divides it per rank)")
    rate = cfg["dropout"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise src.error("dropout", f"must be a rate from 0 to 1, got {validate.shown(rate)}")
    dropout = rate > 0  # the model's nn.Dropout layers store their masks when the rate is above zero
    if "dropout" in given:
        src.took("dropout", rate, "parallelism.dropout")
    else:
        src.assume("parallelism.dropout", dropout, f"train.py's default dropout = {rate}")
    src.parallelism.update(dropout=dropout, micro_batch=micro, seq_len=block, tp=1, pp=1, dp=world, zero=0,
                           recompute="none",
                           precision={"bfloat16": "bf16-mixed", "float16": "fp16-mixed"}.get(cfg["dtype"], "fp32"))
    return src.result({
        "name": src.path.stem,
        "description": f"Read from the nanoGPT config {src.path.name} over train.py's defaults",
        "model": {"dimensions": architecture_fields(arch)},
        "training": training_table(steps, micro, accum // world, world, block),
        "hardware": {"mfu_convention": src.assume("hardware.mfu_convention", "megatron", "the FLOPs nanoGPT's "
                                                  "estimate_mfu counts: 6·N without position embeddings + 12·L·H·Q·T")},
    })
