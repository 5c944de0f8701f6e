"""Logits processors for the model servers people run, over :class:`~distillguard.watermark.sampling.Watermarker`.

- :mod:`.hf`: a Hugging Face transformers ``LogitsProcessor`` (``model.generate(logits_processor=...)``);
- :mod:`.llama_cpp`: a llama-cpp-python ``logits_processor`` callable;
- :mod:`.vllm`: a vLLM logits-processor plug-in (``vllm serve --logits-processors ...``), enabled per
  request by ``vllm_xargs``.

Each needs its engine installed (the ``forensics`` extra brings torch and transformers); the
shared core needs numpy only. A model server turns the gateway's watermark header into one of
these for that request only: see ``examples/watermark/model_server.py`` and ``docs/watermark.md``.
"""
