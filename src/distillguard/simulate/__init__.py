"""The traffic simulator: legitimate populations and distillation campaigns, with exact labels."""
