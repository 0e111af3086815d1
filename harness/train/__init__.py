"""`harness train`: LoRA fine-tuning on a suite's train split, GGUF export, and a pinned model spec.

torch, transformers and peft are an optional extra (`pip install 'oncograph-harness[train]'`):
nothing here is imported by `harness run`.
"""
