"""Training speed: the joint model against a sentence-head-only model, in one process.

    python benchmarks/train_speed.py [--records 512] [--batch-size 32] [--steps 12] [--bf16]

Both run the project's own training step (``conflict_events.training.train``: length-bucketed
batches, AdamW, the same collate) on the same records of ``data/corpus/train.jsonl``, from the
shipped base encoder (all-MiniLM-L6-v2). The sentence-head-only model is the same network with the
token head's loss switched off and its logits never computed, which is what a plain sentence
classifier costs. Prints sentences/s for each and the ratio; the joint model should cost at most
1.3x the sentence head alone. A third row times the Hugging Face ``Trainer`` on the joint model,
to show which training driver is faster on this machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run as a script, this folder is sys.path[0]; its numbers.py would shadow the standard library's.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

REPO = HERE.parent
WARMUP = 3  # untimed steps before each timed run


class SentenceHeadOnly(torch.nn.Module):
    """The joint network without its token head: encoder, mean pooling, event head."""

    def __init__(self, joint) -> None:
        super().__init__()
        self.joint = joint

    def forward(self, input_ids, attention_mask):
        j = self.joint
        states = j.encoder(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=torch.zeros_like(input_ids),
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return j.event_head(j.dropout(pooled)), None


def time_plain_loop(net, features, batches, pos_weight, bf16: bool, joint: bool) -> float:
    from conflict_events.training.train import collate, joint_loss

    optimizer = torch.optim.AdamW(net.parameters(), lr=5e-5, fused=True)
    net.train()
    seen, start = 0, None
    for k, batch_ids in enumerate(batches):
        if k == WARMUP:  # the first steps pay one-off allocation and kernel-selection costs
            start, seen = time.perf_counter(), 0
        batch = collate([features[i] for i in batch_ids], 0)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            events, tags = net(batch["input_ids"], batch["attention_mask"])
        if joint:
            event_loss, tag_loss = joint_loss(batch, events, tags, pos_weight, 1.0)
            loss = event_loss + tag_loss
        else:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                events.float(), batch["events"], pos_weight=pos_weight
            )
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        seen += len(batch_ids)
    return seen / (time.perf_counter() - start)


def time_hf_trainer(model, features, batches, bf16: bool, pos_weight) -> float:
    """The HF Trainer on the same batches, in the same order (a sequential sampler over them)."""
    from torch.utils.data import SequentialSampler
    from transformers import Trainer, TrainingArguments

    from conflict_events.training.train import collate, joint_loss

    class JointTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
            events, tags = model(inputs["input_ids"], inputs["attention_mask"])
            event_loss, tag_loss = joint_loss(inputs, events, tags, pos_weight, 1.0)
            return event_loss + tag_loss

        def _get_train_sampler(self, *args, **kwargs):
            return SequentialSampler(self.train_dataset)

    timed = batches[WARMUP:]
    ordered = [features[i] for batch in timed for i in batch]
    args = TrainingArguments(
        output_dir="/tmp/train-speed-trainer", per_device_train_batch_size=len(timed[0]),
        max_steps=len(timed), report_to=[], save_strategy="no", logging_strategy="no",
        use_cpu=True, bf16=bf16, dataloader_num_workers=0, disable_tqdm=True,
    )  # fmt: skip
    trainer = JointTrainer(model=model, args=args, train_dataset=ordered,
                           data_collator=lambda fs: collate(fs, 0))  # fmt: skip
    start = time.perf_counter()
    trainer.train()
    return len(ordered) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument(
        "--repeats", type=int, default=3, help="alternating runs per system (median)"
    )
    parser.add_argument("--no-trainer", action="store_true", help="skip the HF Trainer row")
    args = parser.parse_args(argv)

    from conflict_events.inference.labels import LabelSchema
    from conflict_events.model.pretrained import EventModel
    from conflict_events.training.features import featurize
    from conflict_events.training.records import read_records
    from conflict_events.training.train import make_batches, positive_weights

    torch.manual_seed(0)
    labels = LabelSchema.default()
    records = read_records(REPO / "data" / "corpus" / "train.jsonl")[: args.records]
    model = EventModel.from_base(labels=labels, max_length=args.max_length)
    features = featurize(records, model.encoder_for(), labels)
    # Full batches only, so every system sees the same batch shapes.
    batches = [
        b for b in make_batches(features, args.batch_size, seed=0) if len(b) == args.batch_size
    ]
    batches = batches[: args.steps + WARMUP]
    pos_weight = positive_weights(features, 4.0)
    state = {k: v.clone() for k, v in model.net.state_dict().items()}

    # Runs alternate and repeat and the median is reported: a shared 2-core machine is noisy.
    systems = {
        "joint model, plain loop": lambda: time_plain_loop(
            model.net, features, batches, pos_weight, args.bf16, joint=True),
        "sentence head only, plain loop": lambda: time_plain_loop(
            SentenceHeadOnly(model.net), features, batches, pos_weight, args.bf16, joint=False),
    }  # fmt: skip
    if not args.no_trainer:
        systems["joint model, HF Trainer"] = lambda: time_hf_trainer(
            model.net, features, batches, args.bf16, pos_weight
        )
    speeds: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(args.repeats):
        for name, run in systems.items():
            model.net.load_state_dict(state)
            speeds[name].append(run())
    median = {name: statistics.median(values) for name, values in speeds.items()}
    joint, head = median["joint model, plain loop"], median["sentence head only, plain loop"]

    precision = "bf16 autocast" if args.bf16 else "fp32"
    print(f"{args.steps} steps of batch {args.batch_size}, {precision}, {torch.get_num_threads()} "
          f"threads, median of {args.repeats} alternating runs")  # fmt: skip
    for name, speed in median.items():
        runs = ", ".join(f"{v:.1f}" for v in speeds[name])
        print(f"{name:<32} {speed:7.1f} sentences/s  (runs: {runs})")
    print(f"joint model cost vs sentence head alone: {head / joint:.2f}x (goal <= 1.30x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
