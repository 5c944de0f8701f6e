"""Evidence against a suspect model, that it was distilled from ours.

- :mod:`~distillguard.forensics.radioactivity`: does the suspect carry our watermark forward
  (open-model mode on its next-token preferences, closed-model mode on what it writes);
- :mod:`~distillguard.forensics.probes`: identity, agreement and style tests against the
  teacher and independent reference models, each with its null and p-value, combined by Holm;
- :mod:`~distillguard.forensics.spec` and :mod:`~distillguard.forensics.models`: how a model is
  named (a transformers directory, a GGUF file, an OpenAI-compatible endpoint) and talked to.

Local models and tokenizers need the ``forensics`` extra (torch, transformers, gguf).
"""
