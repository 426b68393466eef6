"""The gate inside the trainer: a real Hugging Face Trainer and a real Lightning Trainer on CPU.

The tests that need torch, transformers or lightning are marked ``integration`` (deselected by default; run with
``python -m pytest -m integration`` after ``pip install -e ".[integration]"``) and skip without those packages.

The model is a randomly initialised 1-layer GPT-2 (hidden 8, 2 heads, vocabulary 100, 16
positions). Its parameters, written out: token embedding 100·8 = 800, positions 16·8 = 128;
one block: 2 LayerNorms 2·16 = 32, attention c_attn 8·24 + 24 = 216 and c_proj 8·8 + 8 = 72,
MLP c_fc 8·32 + 32 = 288 and c_proj 32·8 + 8 = 264; final LayerNorm 16; the head is tied.
Total 800 + 128 + 32 + 216 + 72 + 288 + 264 + 16 = 1,816.
"""

import logging
import subprocess
import sys

import pytest

import planner

TINY_N = 800 + 128 + 32 + 216 + 72 + 288 + 264 + 16
SEQ = 16


def test_import_planner_does_not_import_the_integrations():
    code = ("import sys, planner; bad = [m for m in ('torch', 'transformers', 'lightning', 'planner.integrations', "
            "'planner.launch') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _tiny_model():
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=8, n_head=2, vocab_size=100, n_positions=SEQ,
                                      bos_token_id=0, eos_token_id=0))


def _dataset():
    import torch

    class Tokens(torch.utils.data.Dataset):
        def __len__(self):
            return 32

        def __getitem__(self, i):
            x = torch.arange(i, i + SEQ) % 100
            return {"input_ids": x, "labels": x}
    return Tokens()


class _Steps:
    """Records whether any training step began."""

    def __init__(self):
        self.began = 0


def _hf_run(tmp_path, callback, max_steps=3):
    pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[integration]' brings the CPU wheel)")
    pytest.importorskip("transformers", reason="transformers is not installed (pip install -e '.[integration]')")
    pytest.importorskip("accelerate", reason="accelerate is not installed (pip install -e '.[integration]')")
    from transformers import Trainer, TrainerCallback, TrainingArguments
    steps = _Steps()

    class StepProbe(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            steps.began += 1

    args = TrainingArguments(output_dir=str(tmp_path), max_steps=max_steps, per_device_train_batch_size=2,
                             report_to=[], use_cpu=True, save_strategy="no", logging_strategy="no",
                             disable_tqdm=True)
    model = _tiny_model()
    assert sum(p.numel() for p in model.parameters()) == TINY_N  # the hand count above
    trainer = Trainer(model=model, args=args, train_dataset=_dataset(), callbacks=[callback, StepProbe()])
    return trainer, steps


@pytest.mark.integration
def test_hf_blocked_run_raises_before_the_first_step(tmp_path, caplog):
    from planner.integrations.hf import PlannerCallback
    cb = PlannerCallback()
    trainer, steps = _hf_run(tmp_path, cb)
    with caplog.at_level(logging.INFO, logger="planner"), pytest.raises(planner.BlockedPlanError) as e:
        trainer.train()
    assert steps.began == 0 and trainer.state.global_step == 0
    # D = 3 steps × 2 per device × 1 accumulation × 1 process × 16 tokens = 96; D/N = 96 / 1,816
    r = e.value.result
    assert (r.params, r.tokens, r.level) == (TINY_N, 96, "severe")
    assert "seq len from the first batch" in cb.source
    assert any(rec.levelname == "ERROR" and "1,816" in rec.getMessage() for rec in caplog.records)


@pytest.mark.integration
def test_hf_forced_run_trains_and_logs_the_warning(tmp_path, caplog):
    from planner.integrations.hf import PlannerCallback
    cb = PlannerCallback(force=True)
    trainer, steps = _hf_run(tmp_path, cb)
    with caplog.at_level(logging.INFO, logger="planner"):
        trainer.train()
    assert trainer.state.global_step == 3 and steps.began == 3
    assert cb.result.blocked and cb.result.tokens == 96
    warnings = [rec.getMessage() for rec in caplog.records if rec.name == "planner" and rec.levelname == "WARNING"]
    assert len(warnings) == 1 and "Forced: training anyway" in warnings[0] and "SEVERE" in warnings[0]


@pytest.mark.integration
def test_hf_passing_run_logs_the_assessment(tmp_path, caplog):
    from planner.integrations.hf import PlannerCallback
    lines = planner.Thresholds(severe=0.01, block=0.02, optimal=0.04)  # 96 / 1,816 = 0.053 passes all three
    cb = PlannerCallback(thresholds=lines, seq_len=SEQ)
    trainer, _ = _hf_run(tmp_path, cb, max_steps=3)
    with caplog.at_level(logging.INFO, logger="planner"):
        trainer.train()
    assert trainer.state.global_step == 3 and cb.result.level == "compute-optimal"
    assert "seq_len given" in cb.source
    assert any(rec.levelname == "INFO" and "COMPUTE-OPTIMAL" in rec.getMessage() for rec in caplog.records)


@pytest.mark.integration
def test_hf_callback_validates_its_arguments():
    pytest.importorskip("transformers", reason="transformers is not installed (pip install -e '.[integration]')")
    from planner.integrations.hf import PlannerCallback
    with pytest.raises(planner.InputError, match="prior_tokens"):
        PlannerCallback(prior_tokens=-1)
    with pytest.raises(planner.InputError, match="thresholds"):
        PlannerCallback(thresholds=10)


def _lightning_run(callback, max_steps=3, max_epochs=None):
    pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[integration]' brings the CPU wheel)")
    pytest.importorskip("lightning", reason="lightning is not installed (pip install -e '.[integration]')")
    import lightning.pytorch as pl
    import torch

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = _tiny_model()
            self.steps = 0

        def training_step(self, batch, i):
            self.steps += 1
            return self.model(input_ids=batch["input_ids"], labels=batch["labels"]).loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    module = Module()
    loader = torch.utils.data.DataLoader(_dataset(), batch_size=2)
    trainer = pl.Trainer(max_steps=max_steps, max_epochs=max_epochs, accelerator="cpu", devices=1,
                         callbacks=[callback], logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False)
    return trainer, module, loader


@pytest.mark.integration
def test_lightning_blocked_run_raises_before_the_first_step():
    cb_module = pytest.importorskip("planner.integrations.lightning",
                                    reason="lightning is not installed (pip install -e '.[integration]')")
    trainer, module, loader = _lightning_run(cb_module.PlannerCallback())
    with pytest.raises(planner.BlockedPlanError) as e:
        trainer.fit(module, loader)
    assert module.steps == 0
    assert (e.value.result.params, e.value.result.tokens) == (TINY_N, 96)


@pytest.mark.integration
def test_lightning_endless_run_is_an_input_error_not_an_overflow():
    cb_module = pytest.importorskip("planner.integrations.lightning",
                                    reason="lightning is not installed (pip install -e '.[integration]')")
    trainer, module, loader = _lightning_run(cb_module.PlannerCallback(), max_steps=-1, max_epochs=-1)
    with pytest.raises(planner.InputError, match=r"max_steps: the Trainer runs without end"):
        trainer.fit(module, loader)
    assert module.steps == 0


@pytest.mark.integration
def test_lightning_forced_run_trains(caplog):
    cb_module = pytest.importorskip("planner.integrations.lightning",
                                    reason="lightning is not installed (pip install -e '.[integration]')")
    cb = cb_module.PlannerCallback(force=True)
    trainer, module, loader = _lightning_run(cb)
    with caplog.at_level(logging.INFO, logger="planner"):
        trainer.fit(module, loader)
    assert module.steps == 3 and cb.result.blocked
    assert any("Forced: training anyway" in rec.getMessage() for rec in caplog.records if rec.name == "planner")


# ---- tokens per step on several processes: fakes of the trainer's own objects, no training ----------------------

class _Tensor:
    def __init__(self, n):
        self.n = n

    def numel(self):
        return self.n


class _Model:
    """Stands in for a torch module: N = 1,000 + 816 = 1,816 (the tiny GPT-2's count)."""

    def parameters(self):
        return iter([_Tensor(1000), _Tensor(816)])


@pytest.mark.integration
def test_hf_tokens_per_step_count_every_process():
    pytest.importorskip("transformers", reason="transformers is not installed (pip install -e '.[integration]')")
    from types import SimpleNamespace

    from planner.integrations.hf import PlannerCallback
    # 2 sequences per device × 3 accumulation × 4 processes × 16 tokens = 384 tokens per step; 5 steps: D = 1,920.
    # Without the 4 processes D would be 480: the two rules differ.
    args = SimpleNamespace(max_steps=5, num_train_epochs=1, per_device_train_batch_size=2,
                           gradient_accumulation_steps=3, world_size=4)
    cb = PlannerCallback(seq_len=16, force=True)
    cb.on_train_begin(args, SimpleNamespace(max_steps=5), control="control", model=_Model())
    assert (cb.result.params, cb.result.tokens) == (1_816, 1_920)
    assert "4 processes" in cb.source


@pytest.mark.integration
def test_lightning_tokens_per_step_count_every_process():
    cb_module = pytest.importorskip("planner.integrations.lightning",
                                    reason="lightning is not installed (pip install -e '.[integration]')")
    from types import SimpleNamespace
    # 2 per device × 3 accumulation × 4 processes × 16 tokens = 384 per step; 5 steps: D = 1,920 (480 without the 4)
    trainer = SimpleNamespace(max_steps=5, accumulate_grad_batches=3, world_size=4)
    cb = cb_module.PlannerCallback(batch_size=2, seq_len=16, force=True)
    cb.on_train_start(trainer, _Model())
    assert (cb.result.params, cb.result.tokens) == (1_816, 1_920)
