"""State-space families: Mamba and Mamba-2 (the hybrids that mix them with attention are in ``hybrid``).

A Mamba layer is one RMSNorm and one mixer (no attention, no MLP). transformers takes Mamba's
mixer width from the config's ``intermediate_size`` when it is written (a saved config always
has it), else ``expand x hidden_size``; Mamba-2 requires ``num_heads x head_dim`` to equal
``expand x hidden_size``. Mamba's Δ rank ``"auto"`` is ``ceil(hidden_size / 16)``.
"""

from __future__ import annotations

import math

from ...errors import ConfigError
from ._base import Biases, Config, Family, Fields, dim, flag, register


def _expand(cfg: Config, hidden: int) -> int:
    e = cfg.get("expand", 2)
    if isinstance(e, bool) or not isinstance(e, (int, float)) or not e > 0 or not math.isfinite(e):
        raise ConfigError("config.expand", f"must be a positive number, got {e!r}")
    return int(e * hidden)


def _mamba(cfg: Config, out: Fields) -> None:
    d = out["hidden_size"]
    rank = cfg.get("time_step_rank", "auto")
    out.update(mixer="mamba", feed_forward=False, num_heads=1, head_dim=None, num_kv_heads=None, norms_per_layer=1,
               ssm_inner_size=dim(cfg, "intermediate_size") if cfg.get("intermediate_size") is not None
               else _expand(cfg, d), ssm_state_size=dim(cfg, "state_size", 16),
               ssm_conv_kernel=dim(cfg, "conv_kernel", 4), ssm_conv_bias=flag(cfg, "use_conv_bias", True),
               ssm_proj_bias=flag(cfg, "use_bias", False),
               # None: Architecture derives ceil(d / 16)
               ssm_dt_rank=None if rank == "auto" else dim(cfg, "time_step_rank"))


def _mamba2(cfg: Config, out: Fields) -> None:
    d = out["hidden_size"]
    heads, head_dim = dim(cfg, "num_heads", 128), dim(cfg, "head_dim", 64)
    inner = _expand(cfg, d)
    if inner != heads * head_dim:
        raise ConfigError("config.num_heads", f"num_heads x head_dim ({heads * head_dim}) must equal expand x "
                          f"hidden_size ({inner}), as transformers requires")
    out.update(mixer="mamba2", feed_forward=False, num_heads=1, head_dim=None, num_kv_heads=None, norms_per_layer=1,
               ssm_inner_size=inner, ssm_heads=heads, ssm_groups=dim(cfg, "n_groups", 8),
               ssm_state_size=dim(cfg, "state_size", 128), ssm_conv_kernel=dim(cfg, "conv_kernel", 4),
               ssm_conv_bias=flag(cfg, "use_conv_bias", True), ssm_proj_bias=flag(cfg, "use_bias", False))


# No attention: num_attention_heads defaults to a placeholder 1 (each layer's mixer replaces attention).
class _SsmRow(Biases):
    intermediate_default: int
    head_dim_from_config: bool


_SSM = _SsmRow(intermediate_default=1, head_dim_from_config=False, qkv_bias=False, o_bias=False, mlp_bias=False)

# transformers' config-class defaults (current release) for keys a config.json may omit.
_DEFAULTS = {
    "mamba": {"vocab_size": 50280, "hidden_size": 768, "num_hidden_layers": 32, "num_attention_heads": 1},
    "falcon_mamba": {"vocab_size": 50280, "hidden_size": 768, "num_hidden_layers": 32, "num_attention_heads": 1},
    "mamba2": {"vocab_size": 32768, "hidden_size": 4096, "num_hidden_layers": 64, "num_attention_heads": 1},
}

register(__name__, defaults=_DEFAULTS, table={
    "mamba": Family(tie_default=True, extra=_mamba, **_SSM),
    "mamba2": Family(tie_default=False, extra=_mamba2, **_SSM),
    # Falcon-Mamba: Mamba's layers; its RMSNorms on B, C and Δ hold no weights.
    "falcon_mamba": Family(tie_default=True, extra=_mamba, **_SSM),
})

